import { readFileSync, writeFileSync } from 'node:fs';

const MiB = 1024 * 1024;

export interface ProcessMemory {
  /** Peak resident set (VmHWM) since the process started or since {@link resetPeak}, MiB. */
  peakMiB: number;
  /** Resident set now (VmRSS), MiB. */
  rssMiB: number;
}

/** VmHWM and VmRSS of process `pid` (Linux: /proc/<pid>/status, in kB). */
export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { peakMiB: (kb('VmHWM') * 1024) / MiB, rssMiB: (kb('VmRSS') * 1024) / MiB };
}

/**
 * Resets the process's VmHWM to its current RSS (writing 5 to /proc/<pid>/clear_refs), so the
 * next reading is the peak of what ran in between. False where the kernel refuses it: VmHWM is
 * then the peak since the process started.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
