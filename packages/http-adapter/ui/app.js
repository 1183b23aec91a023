// The analytics page: asks for an API token, keeps it in sessionStorage (this tab only), and
// calls the API with it as `Authorization: Bearer`, so the API's own auth decides what shows.
(() => {
  const API = document.querySelector('meta[name="backupkit-api"]').content;
  const TOKEN_KEY = 'backupkit.token';
  const RECENT_JOBS = 20;
  const RECENT_ROWS = 25;
  const { timeChart, barChart, formatBytes } = window.backupCharts;

  const $ = (selector) => document.querySelector(selector);
  const percent = (v) => `${(v * 100).toFixed(0)}%`;
  const ratio = (v) => v.toFixed(2);
  const secondsText = (v) => (v >= 120 ? `${(v / 60).toFixed(1)} min` : `${v.toFixed(1)} s`);

  class ApiError extends Error {
    constructor(status, body) {
      super(body?.message ?? `HTTP ${status}`);
      this.status = status;
      this.code = body?.error;
    }
  }

  async function api(path, token) {
    const response = await fetch(`${API}${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      cache: 'no-store',
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  function showError(error) {
    const box = $('#error');
    if (error instanceof ApiError && error.status === 401) {
      box.textContent = 'The API refused this token (401 Unauthorized). Enter a valid token.';
    } else if (error instanceof ApiError && error.status === 403) {
      box.textContent = 'This token may not read analytics (403 Forbidden).';
    } else if (error instanceof ApiError) {
      box.textContent = `The API answered ${error.status}: ${error.message}`;
    } else {
      box.textContent = `Could not reach the API: ${error.message}`;
    }
    box.dataset.status = error instanceof ApiError ? String(error.status) : 'network';
    box.hidden = false;
    $('#dashboard').hidden = true;
    $('#status').textContent = 'No data shown.';
  }

  function card(label, value) {
    const div = document.createElement('div');
    div.className = 'card';
    div.dataset.metric = label;
    const name = document.createElement('div');
    name.textContent = label;
    const figure = document.createElement('div');
    figure.className = 'value';
    figure.textContent = value;
    div.append(name, figure);
    return div;
  }

  function renderOverview(analytics) {
    const o = analytics.overview;
    const rate = o.total_backups > 0 ? o.successful_backups / o.total_backups : 0;
    $('#overview').replaceChildren(
      card('Jobs', `${o.active_jobs} active / ${o.total_jobs}`),
      card('Backups', String(o.total_backups)),
      card('Success rate', percent(rate)),
      card('Failed backups', String(o.failed_backups)),
      card('Restores', `${o.successful_restores} ok / ${o.total_restores}`),
      card('Storage used', formatBytes(o.total_storage_used)),
    );
  }

  function chartBox(name) {
    const box = document.querySelector(`[data-chart="${name}"]`);
    for (const child of [...box.children]) if (child.tagName !== 'H2') child.remove();
    return box;
  }

  function emptyChart(box) {
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = 'No backups in this period yet.';
    box.appendChild(p);
  }

  function renderCharts(analytics) {
    const days = analytics.time_series.map((d) => d.date);
    const series = analytics.time_series;
    let box = chartBox('success-rate');
    if (days.length === 0) emptyChart(box);
    else {
      timeChart(
        box,
        days,
        [
          {
            label: 'Success rate',
            values: series.map((d) => (d.backups_created > 0 ? d.successful_backups / d.backups_created : 0)),
          },
        ],
        percent,
      );
    }
    box = chartBox('storage-growth');
    if (days.length === 0) emptyChart(box);
    else {
      let total = 0;
      const cumulative = series.map((d) => (total += d.storage_used));
      timeChart(box, days, [{ label: 'Stored bytes', values: cumulative }], formatBytes);
    }
    const jobs = analytics.job_breakdown;
    const names = jobs.map((j) => j.job_name);
    const charts = [
      ['duration', [{ label: 'Average duration', values: jobs.map((j) => j.average_duration) }], secondsText],
      ['size', [{ label: 'Average size', values: jobs.map((j) => j.average_size) }], formatBytes],
      [
        'ratios',
        [
          { label: 'Dedup ratio', values: jobs.map((j) => j.dedup_ratio) },
          { label: 'Compression ratio', values: jobs.map((j) => j.compression_ratio) },
        ],
        ratio,
      ],
    ];
    for (const [name, data, format] of charts) {
      box = chartBox(name);
      if (jobs.length === 0) emptyChart(box);
      else barChart(box, names, data, format);
    }
  }

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  async function renderExecutions(token) {
    const { jobs } = await api(`/jobs?limit=${RECENT_JOBS}`, token);
    const lists = await Promise.all(
      jobs.map((job) => api(`/jobs/${encodeURIComponent(job.job_id)}/executions?limit=10`, token)),
    );
    const names = new Map(jobs.map((job) => [job.job_id, job.job_name]));
    const rows = lists
      .flatMap((list) => list.executions)
      .sort((a, b) => b.started_at.localeCompare(a.started_at))
      .slice(0, RECENT_ROWS);
    const body = $('#executions tbody');
    body.replaceChildren();
    for (const execution of rows) {
      const row = body.insertRow();
      row.dataset.executionId = execution.execution_id;
      row.dataset.status = execution.status;
      cell(row, names.get(execution.job_id) ?? execution.job_id);
      cell(row, execution.execution_id);
      const status = cell(row, '');
      const badge = document.createElement('span');
      badge.className = `status status-${execution.status}`;
      badge.textContent = execution.status;
      status.appendChild(badge);
      cell(row, new Date(execution.started_at).toLocaleString());
      const ended = execution.completed_at ? Date.parse(execution.completed_at) : null;
      cell(row, ended ? secondsText((ended - Date.parse(execution.started_at)) / 1000) : '—');
      cell(row, execution.backup_id ?? execution.error?.code ?? '');
    }
    if (rows.length === 0) cell(body.insertRow(), 'No executions yet.', 'empty').colSpan = 6;
  }

  async function load(token) {
    $('#error').hidden = true;
    $('#status').textContent = 'Loading…';
    try {
      const analytics = await api('/analytics', token);
      $('#dashboard').hidden = false;
      renderOverview(analytics);
      renderCharts(analytics);
      await renderExecutions(token);
      $('#status').textContent = `Generated ${new Date(analytics.generated_at).toLocaleString()}.`;
      document.body.dataset.loaded = 'true';
    } catch (error) {
      // A refused token is not kept for the next visit.
      if (error instanceof ApiError && error.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        $('#sign-out').hidden = true;
      }
      showError(error);
      document.body.dataset.loaded = 'error';
    }
  }

  $('#sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('#token').value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('#token').value = '';
    $('#sign-out').hidden = false;
    void load(token);
  });
  $('#sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $('#sign-out').hidden = true;
    $('#dashboard').hidden = true;
    $('#status').textContent = 'Enter an API token to see the analytics.';
  });

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    $('#sign-out').hidden = false;
    void load(saved);
  }
})();
