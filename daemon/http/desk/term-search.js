// The safety desk's one script: the AE form's CTCAE term search (README "The safety desk").
// Without it the term field is a plain text input that the server resolves as the API codes a
// report. With it, the field is an ARIA 1.2 combobox (role=combobox, aria-expanded,
// aria-controls, aria-activedescendant; Down/Up move, Enter chooses, Escape closes) whose
// listbox shows GET /desk/ctcae/terms?q= (the answer of GET /v1/ctcae/terms); a chosen term
// limits the grade <select> to the grades it defines, each with its CTCAE text
// (GET /desk/ctcae/terms/{meddra_code}). Served from /desk/static: no inline script, no other file.
(function () {
  'use strict';

  var DELAY_MS = 200;
  var MIN_CHARS = 2;

  function getJson(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(
      function (r) { return r.ok ? r.json() : null; },
      function () { return null; });
  }

  function hideVisually(el) {
    var s = el.style;
    s.position = 'absolute'; s.width = '1px'; s.height = '1px'; s.overflow = 'hidden';
    s.clip = 'rect(0 0 0 0)'; s.whiteSpace = 'nowrap'; s.margin = '-1px'; s.padding = '0'; s.border = '0';
  }

  function setup(input) {
    var grade = document.getElementById(input.getAttribute('data-grade-select'));
    var listId = input.id + '-listbox';
    var list = document.createElement('ul');
    var status = document.createElement('span');
    var items = [];
    var active = -1;
    var timer = null;
    var asked = 0;  // the latest query: an older answer arriving late is dropped
    var original = [];
    if (grade) {
      for (var i = 0; i < grade.options.length; i++)
        original.push({ value: grade.options[i].value, text: grade.options[i].text });
    }

    list.id = listId;
    list.setAttribute('role', 'listbox');
    if (input.labels && input.labels.length) {
      if (!input.labels[0].id) input.labels[0].id = input.id + '-label';
      list.setAttribute('aria-labelledby', input.labels[0].id);
    } else {
      list.setAttribute('aria-label', 'CTCAE terms');
    }
    list.hidden = true;
    list.style.listStyle = 'none';
    list.style.margin = '0';
    list.style.padding = '0';
    list.style.maxWidth = '40rem';
    list.style.maxHeight = '16rem';
    list.style.overflowY = 'auto';
    list.style.border = '1px solid #555';
    list.style.background = '#fff';
    status.setAttribute('role', 'status');
    hideVisually(status);
    input.parentNode.insertBefore(list, input.nextSibling);
    input.parentNode.insertBefore(status, list.nextSibling);

    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', listId);
    input.setAttribute('autocomplete', 'off');

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function open() {
      if (!items.length) return;
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }

    function highlight(i) {
      active = i;
      for (var k = 0; k < list.children.length; k++) {
        var li = list.children[k];
        var on = k === i;
        li.setAttribute('aria-selected', on ? 'true' : 'false');
        li.style.background = on ? '#12355b' : '#fff';
        li.style.color = on ? '#fff' : '#1b1b1b';
      }
      if (i >= 0 && list.children[i]) {
        input.setAttribute('aria-activedescendant', list.children[i].id);
        if (list.children[i].scrollIntoView) list.children[i].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function render() {
      list.textContent = '';
      items.forEach(function (it, k) {
        var li = document.createElement('li');
        li.id = listId + '-' + k;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.style.padding = '.25rem .5rem';
        li.style.cursor = 'pointer';
        li.textContent = it.term + ' (MedDRA ' + it.meddra_code + '; ' + it.soc + ')';
        // mousedown, not click: the input keeps its focus (no blur closes the list first).
        li.addEventListener('mousedown', function (e) { e.preventDefault(); choose(k); });
        list.appendChild(li);
      });
      highlight(-1);
    }

    function setGrades(options, keep) {
      if (!grade) return;
      grade.textContent = '';
      options.forEach(function (o) {
        var opt = document.createElement('option');
        opt.value = o.value;
        opt.textContent = o.text;
        grade.appendChild(opt);
      });
      var still = options.some(function (o) { return o.value === keep; });
      grade.value = still ? keep : options[0].value;
    }

    function allGrades() {
      if (grade && grade.options.length !== original.length) setGrades(original, grade.value);
    }

    // The grades the term defines, with its CTCAE text (Alopecia: 1 and 2 only).
    function limitGrades(code) {
      if (!grade) return;
      getJson('/desk/ctcae/terms/' + encodeURIComponent(code)).then(function (t) {
        if (!t || !t.grades) return allGrades();
        var options = original.filter(function (o) { return o.value === ''; });
        Object.keys(t.grades).sort().forEach(function (g) {
          options.push({ value: g, text: g + ': ' + t.grades[g] });
        });
        setGrades(options, grade.value);
      });
    }

    function choose(k) {
      var it = items[k];
      if (!it) return;
      input.value = it.term;
      close();
      status.textContent = it.term + ' chosen.';
      limitGrades(it.meddra_code);
    }

    function search() {
      var q = input.value.trim();
      var mine = ++asked;
      if (q.length < MIN_CHARS) {
        items = [];
        close();
        return;
      }
      getJson('/desk/ctcae/terms?limit=10&q=' + encodeURIComponent(q)).then(function (body) {
        if (mine !== asked) return;
        items = body && body.items ? body.items : [];
        render();
        status.textContent = items.length
          ? items.length + (items.length === 1 ? ' term' : ' terms') + ' found: use the down arrow to choose.'
          : 'No CTCAE term found.';
        if (items.length) open(); else close();
      });
    }

    input.addEventListener('input', function () {
      allGrades();
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown' || e.key === 'Down') {
        e.preventDefault();
        if (list.hidden) { open(); if (!items.length) search(); return; }
        highlight(Math.min(active + 1, items.length - 1));
      } else if (e.key === 'ArrowUp' || e.key === 'Up') {
        e.preventDefault();
        if (list.hidden) { open(); highlight(items.length - 1); return; }
        highlight(Math.max(active - 1, 0));
      } else if (e.key === 'Enter') {
        if (!list.hidden && active >= 0) { e.preventDefault(); choose(active); }
      } else if (e.key === 'Escape' || e.key === 'Esc') {
        if (!list.hidden) { e.preventDefault(); close(); }
      }
    });
    input.addEventListener('blur', function () { close(); });

    // A term already in the field (the form sent back, a follow-up): its grades, once it resolves.
    var given = input.value.trim();
    if (given.length >= MIN_CHARS) {
      getJson('/desk/ctcae/terms?limit=1&q=' + encodeURIComponent(given)).then(function (body) {
        var first = body && body.items && body.items[0];
        if (first && first.match && input.value.trim() === given) limitGrades(first.meddra_code);
      });
    }
  }

  var inputs = document.querySelectorAll('input[data-grade-select]');
  for (var n = 0; n < inputs.length; n++) setup(inputs[n]);
})();
