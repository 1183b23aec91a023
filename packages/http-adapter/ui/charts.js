// Chart helpers over uPlot (served beside this file). Each chart also lists its figures in a
// table under it: readable without the canvas, and what assistive technology announces.
(() => {
  const COLORS = ['#2f6fdb', '#d9822b', '#2a9d5c', '#b2399b', '#6b7280'];

  function formatBytes(bytes) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes;
    let unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
  }

  function dataTable(labels, series, format) {
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    summary.textContent = 'Data';
    const table = document.createElement('table');
    table.className = 'chart-data';
    const head = table.createTHead().insertRow();
    for (const title of ['', ...series.map((s) => s.label)]) {
      const th = document.createElement('th');
      th.textContent = title;
      head.appendChild(th);
    }
    const body = table.createTBody();
    labels.forEach((label, i) => {
      const row = body.insertRow();
      row.dataset.label = label;
      row.insertCell().textContent = label;
      for (const s of series) {
        const cell = row.insertCell();
        cell.dataset.value = String(s.values[i]);
        cell.textContent = format(s.values[i]);
      }
    });
    details.append(summary, table);
    return details;
  }

  function widthOf(container) {
    return Math.max(320, container.clientWidth - 16);
  }

  /** A line chart over days: `days` are YYYY-MM-DD, each series `{ label, values }`. */
  function timeChart(container, days, series, format) {
    const xs = days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
    const lone = xs.length === 1;
    const plot = new uPlot(
      {
        width: widthOf(container),
        height: 220,
        scales: { x: { time: true, ...(lone ? { range: [xs[0] - 86400, xs[0] + 86400] } : {}) } },
        axes: [{}, { values: (_u, ticks) => ticks.map(format), size: 70 }],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            points: { show: true, size: 7 },
            value: (_u, v) => (v == null ? '' : format(v)),
          })),
        ],
      },
      [xs, ...series.map((s) => s.values)],
      container,
    );
    container.appendChild(dataTable(days, series, format));
    return plot;
  }

  /** A bar chart with one group per name (jobs), one or two series `{ label, values }`. */
  function barChart(container, names, series, format) {
    const xs = names.map((_n, i) => i);
    const count = series.length;
    const plot = new uPlot(
      {
        width: widthOf(container),
        height: 220,
        scales: {
          x: { time: false, range: [-0.5, Math.max(0, names.length - 1) + 0.5] },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (names[t] ?? '') : '')) },
          { values: (_u, ticks) => ticks.map(format), size: 70 },
        ],
        series: [
          { label: 'Job', value: (_u, v) => (v == null ? '' : (names[v] ?? '')) },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            fill: `${COLORS[i % COLORS.length]}99`,
            width: 1,
            // Two series stand side by side (left and right of the job's tick), one is centred.
            paths: uPlot.paths.bars({
              size: [count > 1 ? 0.35 : 0.6, 80],
              align: count > 1 ? (i === 0 ? -1 : 1) : 0,
            }),
            points: { show: false },
            value: (_u, v) => (v == null ? '' : format(v)),
          })),
        ],
      },
      [xs, ...series.map((s) => s.values)],
      container,
    );
    container.appendChild(dataTable(names, series, format));
    return plot;
  }

  window.backupCharts = { timeChart, barChart, formatBytes };
})();
