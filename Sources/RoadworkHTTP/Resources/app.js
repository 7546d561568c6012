// Progressive enhancement only: every form works without this file.
(function () {
  // Asks `path(text)` once typing in `input` pauses for `delay` ms and the text has `minimum` characters; `show` gets the
  // answer's items, or null for a text too short. An answer to an earlier keystroke that arrives late is dropped.
  function askWhileTyping(input, minimum, delay, path, show) {
    var timer = null, asked = 0;
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value.trim();
        var question = ++asked;
        if (text.length < minimum) { show(null); return; }
        fetch(path(text), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (data) { if (question === asked) show(data.items); });
      }, delay);
    });
  }
  // Similar objections appear while a rep types the summary; one tap picks one.
  var summary = document.getElementById('summary');
  var box = document.getElementById('suggestions');
  var pick = document.getElementById('objection_id');
  if (summary && box && pick) {
    askWhileTyping(summary, 4, 200, function (text) { return '/api/v1/objections/similar?text=' + encodeURIComponent(text); }, function (items) {
      box.innerHTML = '';
      (items || []).slice(0, 5).forEach(function (item) {
        var b = document.createElement('button');
        b.type = 'button'; b.className = 'secondary small'; b.textContent = item.objection.statement;
        b.setAttribute('data-objection', item.objection.id);
        b.addEventListener('click', function () {
          var option = pick.querySelector('option[value="' + item.objection.id + '"]');
          if (!option) { option = document.createElement('option'); option.value = item.objection.id; option.textContent = item.objection.statement; pick.appendChild(option); }
          pick.value = item.objection.id;
          Array.prototype.forEach.call(box.children, function (c) { c.setAttribute('aria-pressed', c === b ? 'true' : 'false'); });
        });
        box.appendChild(b);
      });
    });
  }
  // The triage inbox's "any open objection" fields offer the open objections whose statement has what was typed, from
  // all of them (the page itself lists none, so it stays light however many there are).
  var openList = document.getElementById('open-objections');
  if (openList) {
    Array.prototype.forEach.call(document.querySelectorAll('input[data-open-objections]'), function (input) {
      askWhileTyping(input, 2, 150, function (text) { return '/api/v1/objections?status=open&limit=20&q=' + encodeURIComponent(text); }, function (items) {
        if (!items) return;
        openList.innerHTML = '';
        items.forEach(function (objection) {
          var option = document.createElement('option');
          option.value = objection.statement;
          openList.appendChild(option);
        });
      });
    });
  }
  // A second tap on a submit button does nothing: the form is already on its way.
  Array.prototype.forEach.call(document.querySelectorAll('form[data-once]'), function (form) {
    form.addEventListener('submit', function (event) {
      if (form.getAttribute('data-sent')) { event.preventDefault(); return; }
      form.setAttribute('data-sent', '1');
    });
  });
})();

// The import page sends the chosen file as the request body (no multipart parsing on the server), then follows the
// redirect to the preview.
(function () {
  var form = document.querySelector('form[data-upload]');
  if (!form) return;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var file = document.getElementById('import-file').files[0];
    if (!file) return;
    var preset = document.getElementById('import-preset').value;
    var csrf = form.querySelector('input[name=_csrf]').value;
    form.querySelector('button').disabled = true;
    fetch('/import?preset=' + encodeURIComponent(preset) + '&name=' + encodeURIComponent(file.name), {
      method: 'POST', credentials: 'same-origin', body: file,
      headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': csrf }
    }).then(function (r) { return r.text().then(function (html) { return { r: r, html: html }; }); })
      .then(function (x) {
        if (x.r.redirected) { window.location = x.r.url; return; }
        document.open(); document.write(x.html); document.close();
      });
  });

})();

(function () {
  // The joint review, live for both heads: when the other head edits, signs or the lineup applies, the server says so
  // (Server-Sent Events) and the review is fetched again and swapped in; notes being typed are kept.
  var live = document.getElementById('review-live');
  if (live && window.EventSource) {
    var status = document.getElementById('review-status');
    var events = new EventSource(live.getAttribute('data-events'));
    var refresh = function () {
      fetch('/review', { credentials: 'same-origin', headers: { Accept: 'text/html' } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('review-live');
          if (!fresh || fresh.innerHTML === live.innerHTML) return;
          var notes = document.getElementById('notes');
          var typing = notes && document.activeElement === notes ? { value: notes.value, start: notes.selectionStart, end: notes.selectionEnd } : null;
          live.innerHTML = fresh.innerHTML;
          if (typing) {
            var again = document.getElementById('notes');
            if (again) { again.value = typing.value; again.focus(); again.setSelectionRange(typing.start, typing.end); }
          }
          if (status) status.textContent = 'Updated ' + new Date().toLocaleTimeString() + ': the review changed.';
        });
    };
    events.addEventListener('review', refresh);
    // Connected (or connected again): anything that changed before then is fetched once, so no change is missed.
    events.addEventListener('open', function () { live.setAttribute('data-connected', 'true'); refresh(); });
    events.addEventListener('error', function () { live.removeAttribute('data-connected'); });
  }
})();
