export interface Row {
  name: string;
  seconds: number;
  peakRssMiB: number;
  mbPerSecond: number;
  /** Median CPU seconds of the client process tree (the machine may be shared: wall times vary). */
  cpuSeconds: number;
}

/** The terminal table: medians, peak RSS and MB/s of logical data, then the ratios with their targets. */
export function printReport(
  scale: number,
  logicalBytes: number,
  rows: Row[],
  ratios: Record<string, number>,
  scenario = 'the dataset',
): void {
  console.log(`\n== ${scenario}, scale ${scale}× — ${(logicalBytes / 1e6).toFixed(0)} MB read ==`);
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  console.log(
    `${'scenario'.padEnd(width)}${'median s'.padStart(10)}${'peak RSS MiB'.padStart(14)}${'MB/s'.padStart(9)}${'client CPU s'.padStart(14)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}${r.seconds.toFixed(2).padStart(10)}${r.peakRssMiB.toFixed(0).padStart(14)}${r.mbPerSecond.toFixed(0).padStart(9)}${r.cpuSeconds.toFixed(2).padStart(14)}`,
    );
  }
  console.log('');
  const rwidth = Math.max(...Object.keys(ratios).map((k) => k.length)) + 2;
  for (const [name, value] of Object.entries(ratios))
    console.log(`${name.padEnd(rwidth)}${value.toFixed(3).padStart(8)}`);
}
