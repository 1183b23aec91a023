;; The gear-hash boundary scan of chunker.ts (`gearScan`) in WebAssembly: the same hash, the
;; same first cut, about eight times the speed of the JavaScript loop.
;; build/assemble-wasm.mjs assembles this text with wabt (threads enabled) on install and before
;; each build; gear-scan-wasm.ts imports the bytes it generates.
;;
;; The memory is the chunk buffers' own (a shared one, so encoder workers read the chunks in
;; place); the 1 KiB gear table lives past the buffers, at $gear.
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; The hash after the last byte scanned (the scan's second result).
  (global $hash (export "hash") (mut i32) (i32.const 0))

  ;; Rolls h = (h << 1) + gear[byte] over the bytes at [$p, $end) and returns the address just
  ;; past the first byte after which (h & $mask) == 0, or -1 when there is none.
  ;; Addresses stay below 2^31, so signed and unsigned comparisons agree.
  (func (export "scan")
    (param $p i32) (param $end i32) (param $h i32) (param $mask i32) (param $gear i32)
    (result i32)
    (local $stop i32)
    ;; Eight bytes per round while eight remain: one loop test per eight bytes.
    (local.set $stop (i32.sub (local.get $end) (i32.const 7)))
    (block $tail
      (loop $round
        (br_if $tail (i32.ge_s (local.get $p) (local.get $stop)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear)
            (i32.shl (i32.load8_u offset=0 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h))
                (return (i32.add (local.get $p) (i32.const 1)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear)
            (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h))
                (return (i32.add (local.get $p) (i32.const 2)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear)
            (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h))
                (return (i32.add (local.get $p) (i32.const 3)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear)
            (i32.shl (i32.load8_u offset=3 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h))
                (return (i32.add (local.get $p) (i32.const 4)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear)
            (i32.shl (i32.load8_u offset=4 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h))
                (return (i32.add (local.get $p) (i32.const 5)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear)
            (i32.shl (i32.load8_u offset=5 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h))
                (return (i32.add (local.get $p) (i32.const 6)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear)
            (i32.shl (i32.load8_u offset=6 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h))
                (return (i32.add (local.get $p) (i32.const 7)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear)
            (i32.shl (i32.load8_u offset=7 (local.get $p)) (i32.const 2))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br_if $round (i32.and (local.get $h) (local.get $mask)))
        (global.set $hash (local.get $h))
        (return (local.get $p))))
    ;; The last few bytes, one at a time.
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $p) (local.get $end)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear)
            (i32.shl (i32.load8_u (local.get $p)) (i32.const 2))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $next (i32.and (local.get $h) (local.get $mask)))
        (global.set $hash (local.get $h))
        (return (local.get $p))))
    (global.set $hash (local.get $h))
    (i32.const -1)))
