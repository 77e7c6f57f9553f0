/**
 * The pages' only script, served as /app/assets/dashboard.js (same origin, so the CSP can say
 * script-src 'self'). It draws the charts of chart.tsx with Chart.js, wires copy buttons, the
 * "select all" boxes of bulk forms and confirmations; every page works without it except for the
 * charts themselves.
 */
export const DASHBOARD_JS = `
(function () {
  'use strict';
  var CSS = getComputedStyle(document.documentElement);
  function color(name, fallback) { return (CSS.getPropertyValue(name) || '').trim() || fallback; }
  var PALETTE = [color('--cl-chart-clicks', '#5b8def'), color('--cl-chart-orders', '#137333'), color('--cl-chart-money', '#b3261e'), color('--cl-chart-money2', '#c26401')];

  function drawCharts() {
    if (!window.Chart) return;
    var sources = {};
    document.querySelectorAll('canvas[data-chart]').forEach(function (canvas, index) {
      var id = canvas.getAttribute('data-chart');
      var data = sources[id] || (sources[id] = JSON.parse((document.getElementById(id) || {}).textContent || '{}'));
      var days = data.days || [], previous = data.previous || [];
      var locale = data.locale || navigator.language;
      var money = canvas.getAttribute('data-kind') === 'money';
      var currency = data.currency;
      var moneyFormat = currency ? new Intl.NumberFormat(locale, { style: 'currency', currency: currency }) : new Intl.NumberFormat(locale);
      var countFormat = new Intl.NumberFormat(locale);
      var fields = canvas.getAttribute('data-fields').split('|').map(function (f) { var p = f.split(':'); return { field: p[0], label: p.slice(1).join(':') }; });
      var datasets = [];
      fields.forEach(function (f, i) {
        var c = money ? PALETTE[2 + i] || PALETTE[2] : (f.field === 'orders' ? PALETTE[1] : PALETTE[0]);
        // Money is plotted as numbers; the exact decimal strings are kept for the tooltips.
        datasets.push({ type: money ? 'line' : 'bar', label: f.label, borderColor: c, backgroundColor: c, pointRadius: 2,
          data: days.map(function (d) { return Number(d[f.field]); }),
          exact: money ? days.map(function (d) { return d[f.field] + ' ' + d.currency; }) : undefined });
        if (previous.length) datasets.push({ type: 'line', label: f.label + ' (previous period)', borderColor: '#767f8a', backgroundColor: '#767f8a',
          borderDash: [5, 4], pointRadius: 0, borderWidth: 1.5,
          data: days.map(function (_, k) { var p = previous[k]; return p ? Number(p[f.field]) : null; }),
          days: days.map(function (_, k) { var p = previous[k]; return p ? p.day : ''; }) });
      });
      new window.Chart(canvas, {
        data: { labels: days.map(function (d) { return d.day; }), datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: 'index', intersect: false },
          plugins: { legend: { labels: { boxWidth: 12 } }, tooltip: { callbacks: { label: function (ctx) {
            var v = ctx.parsed.y;
            var text = money ? (ctx.dataset.exact ? moneyFormat.format(ctx.dataset.exact[ctx.dataIndex].split(' ')[0]) : moneyFormat.format(v)) : countFormat.format(v);
            var day = ctx.dataset.days ? ' (' + ctx.dataset.days[ctx.dataIndex] + ')' : '';
            return ctx.dataset.label + day + ': ' + text;
          } } } },
          scales: { y: { beginAtZero: true, ticks: { precision: money ? undefined : 0, callback: function (v) { return money ? moneyFormat.format(v) : countFormat.format(v); } } } }
        }
      });
    });
  }

  function copy(button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-status'));
    var text = button.getAttribute('data-copy-text') || (target && (target.value || target.textContent)) || '';
    function done(ok) { if (status) status.textContent = ok ? 'Copied to the clipboard' : 'Select the text and copy it'; }
    function fallback() {
      try { if (target && target.select) { target.select(); done(document.execCommand('copy')); } else done(false); } catch (e) { done(false); }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else fallback();
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button[data-copy]');
    if (button) { event.preventDefault(); copy(button); }
  });
  document.addEventListener('change', function (event) {
    var select = event.target;
    if (select.tagName === 'SELECT') {
      var option = select.selectedOptions && select.selectedOptions[0];
      var input = document.querySelector('input[data-placeholder-from="' + select.name + '"]');
      if (option && input && option.getAttribute('data-placeholder')) input.placeholder = option.getAttribute('data-placeholder');
    }
    var all = event.target;
    if (!all.matches || !all.matches('input[data-select-all]')) return;
    document.querySelectorAll('input[type=checkbox][form="' + all.getAttribute('data-select-all') + '"]').forEach(function (box) {
      if (box !== all && !box.disabled) box.checked = all.checked;
    });
  });
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.getAttribute('data-confirm')) || (form.getAttribute && form.getAttribute('data-confirm'));
    if (question && !window.confirm(question)) event.preventDefault();
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawCharts);
  else drawCharts();
})();
`;
