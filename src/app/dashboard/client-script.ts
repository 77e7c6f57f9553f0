/**
 * The pages' only script, served as /app/assets/dashboard.js (same origin, so the CSP can say
 * script-src 'self'). It draws charts with Chart.js from the JSON the page embeds and wires the
 * copy buttons; every page works without it except for the chart itself.
 */
export const DASHBOARD_JS = `
(function () {
  'use strict';
  function drawCharts() {
    if (!window.Chart) return;
    document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute('data-chart'));
      if (!source) return;
      var data = JSON.parse(source.textContent || '{}');
      var days = data.days || [];
      // Money is plotted as numbers; the exact decimal strings stay in the tables and the tooltips.
      function money(label, field, color) {
        return { type: 'line', label: label + ' (' + (data.currency || '') + ')', yAxisID: 'money', borderColor: color, backgroundColor: color,
          data: days.map(function (d) { return Number(d[field]); }),
          exact: days.map(function (d) { return d[field] + ' ' + d.currency; }) };
      }
      new window.Chart(canvas, {
        data: {
          labels: days.map(function (d) { return d.day; }),
          datasets: [
            { type: 'bar', label: 'Clicks', data: days.map(function (d) { return d.clicks; }), yAxisID: 'count', backgroundColor: '#8ab4f8' },
            { type: 'bar', label: 'Orders', data: days.map(function (d) { return d.orders; }), yAxisID: 'count', backgroundColor: '#1e8e3e' },
          ].concat(data.split
            ? [money('Estimated', 'estimated', '#e37400'), money('Settled', 'settled', '#b3261e')]
            : [money('Commission', 'commission', '#b3261e')])
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: 'index', intersect: false },
          scales: {
            count: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'clicks / orders' } },
            money: { type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'commission' } }
          },
          plugins: { tooltip: { callbacks: { label: function (ctx) {
            var exact = ctx.dataset.exact;
            return ctx.dataset.label + ': ' + (exact ? exact[ctx.dataIndex] : ctx.formattedValue);
          } } } }
        }
      });
    });
  }

  function copy(button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-status'));
    if (!target) return;
    var text = target.value || target.textContent || '';
    function done(ok) { if (status) status.textContent = ok ? 'Copied to the clipboard' : 'Select the text and copy it'; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { fallback(); });
    } else fallback();
    function fallback() {
      try { target.select(); done(document.execCommand('copy')); } catch (e) { done(false); }
    }
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button[data-copy]');
    if (button) { event.preventDefault(); copy(button); }
  });
  document.addEventListener('submit', function (event) {
    var question = event.target.getAttribute && event.target.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawCharts);
  else drawCharts();
})();
`;
