/**
 * The editors' desk in the browser: one page, its stylesheet and a little JavaScript, served at `/desk/`.
 * No framework: forms, a table and fetch. Every change it makes is an upload to the drafts bucket through a
 * presigned URL, so the pipeline applies it as it applies the CLI's.
 */

const HTML = `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Bàn biên tập</title>
<link rel="stylesheet" href="/desk/desk.css">
<script src="/desk/desk.js" defer></script>
</head>
<body>
<header class="bar"><h1>Bàn biên tập</h1><p id="who" class="who"></p></header>
<main>
<section id="sign-in" aria-labelledby="sign-in-title">
<h2 id="sign-in-title">Đăng nhập</h2>
<form id="sign-in-form">
<p><label for="username">Tên đăng nhập</label><input id="username" name="username" autocomplete="username" required></p>
<p><label for="password">Mật khẩu</label><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p id="new-password-row" hidden><label for="new-password">Mật khẩu mới</label><input id="new-password" name="newPassword" type="password" autocomplete="new-password"></p>
<div id="totp-setup-row" hidden><p>Thêm tài khoản này vào ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…) bằng khóa bí mật dưới đây, rồi nhập mã 6 chữ số nó hiện.</p><p><code id="totp-secret"></code></p></div>
<p id="code-row" hidden><label for="code">Mã xác thực (6 chữ số)</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}"></p>
<p><button type="submit">Đăng nhập</button></p>
<p id="sign-in-error" class="error" role="alert"></p>
</form>
</section>

<section id="board" hidden aria-labelledby="board-title">
<h2 id="board-title">Bảng bài viết</h2>
<p class="actions"><button type="button" id="new-draft">Viết bài mới</button></p>
<form id="filters" class="filters">
<label for="filter-section">Chuyên mục</label><select id="filter-section"><option value="">Tất cả</option></select>
<label for="filter-state">Trạng thái</label><select id="filter-state"><option value="">Tất cả</option><option value="published">Đã đăng</option><option value="scheduled">Hẹn giờ</option><option value="rejected">Bị từ chối</option><option value="withdrawn">Đã gỡ</option><option value="failed">Lỗi</option></select>
</form>
<div class="table"><table><thead><tr><th scope="col">Tiêu đề</th><th scope="col">Chuyên mục</th><th scope="col">Trạng thái</th><th scope="col">Người sửa, lúc</th><th scope="col">Thao tác</th></tr></thead><tbody id="rows"></tbody></table></div>
</section>

<section id="editor" hidden aria-labelledby="editor-title">
<h2 id="editor-title">Bài viết</h2>
<p class="actions"><button type="button" id="back">« Về bảng bài viết</button></p>
<form id="draft-form" novalidate>
<p><label for="docx">Tải lên tệp Word (.docx)</label><input id="docx" type="file" accept=".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document"></p>
<p id="docx-note" class="note" role="status"></p>
<p><label for="f-title">Tiêu đề</label><input id="f-title" required maxlength="250"><span class="problem" id="p-title"></span></p>
<p><label for="f-section">Chuyên mục</label><select id="f-section"></select><span class="problem" id="p-section"></span></p>
<p><label for="f-lead">Sapo</label><textarea id="f-lead" rows="3" maxlength="1500"></textarea><span class="problem" id="p-lead"></span></p>
<p><label for="f-author">Tác giả</label><input id="f-author"><span class="problem" id="p-author"></span></p>
<p><label for="f-role">Chức danh tác giả</label><input id="f-role"></p>
<p><label for="f-tags">Từ khóa (cách nhau bằng dấu phẩy)</label><input id="f-tags"><span class="problem" id="p-tags"></span></p>
<p><label for="f-published">Thời gian đăng (giờ Việt Nam; để trống: đăng ngay)</label><input id="f-published" type="datetime-local"><span class="problem" id="p-publishedAt"></span></p>
<p><label for="f-slug">Đường dẫn (không bắt buộc)</label><input id="f-slug"><span class="problem" id="p-slug"></span></p>
<p><label for="f-correction">Đính chính (không bắt buộc, hiện trên bài)</label><input id="f-correction" maxlength="500"><span class="problem" id="p-correction"></span></p>
<p><label for="f-body">Nội dung (Markdown)</label><textarea id="f-body" rows="14"></textarea><span class="problem" id="p-body"></span></p>
<p><label for="images">Thêm ảnh</label><input id="images" type="file" accept="image/jpeg,image/png,image/webp,image/gif" multiple></p>
<p class="actions"><button type="button" id="preview">Xem trước</button> <button type="submit" id="send">Gửi đăng</button> <button type="button" id="share">Tạo liên kết xem trước</button></p>
<p id="status" class="status" role="status" aria-live="polite"></p>
<ul id="problems" class="problems"></ul>
</form>
<iframe id="preview-frame" title="Bản xem trước" sandbox="" hidden></iframe>
</section>

<section id="history" hidden aria-labelledby="history-title">
<h2 id="history-title">Lịch sử</h2>
<p class="actions"><button type="button" id="history-back">« Về bảng bài viết</button></p>
<ol id="versions" class="versions"></ol>
<pre id="diff" class="diff" aria-label="Khác biệt giữa hai phiên bản"></pre>
</section>
</main>
</body>
</html>
`;

const CSS = `*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 "Noto Sans",Arial,sans-serif;color:#1b1b1b;background:#fff}
.bar{background:#a3161a;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center}
.bar h1{font-size:1.25rem;margin:0}.who{margin:0}
main{max-width:64rem;margin:0 auto;padding:1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input,select,textarea{width:100%;font:inherit;padding:.5rem;border:1px solid #5a5a5a;border-radius:4px}
button{font:600 1rem/1.2 "Noto Sans",Arial,sans-serif;padding:.6rem 1rem;border:0;border-radius:4px;background:#a3161a;color:#fff;cursor:pointer;margin:.125rem 0}
button.plain{background:#fff;color:#a3161a;border:1px solid #a3161a}
.filters{display:grid;grid-template-columns:1fr;gap:.25rem;margin:1rem 0}
@media (min-width:40rem){.filters{grid-template-columns:auto 1fr auto 1fr;align-items:center;gap:.5rem}}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;border-bottom:1px solid #ddd;padding:.5rem;vertical-align:top}
.state{font-weight:700}.state-rejected,.state-failed,.error,.problem{color:#a3161a}
.problem{display:block;font-size:.9rem}
.problems li{color:#a3161a}
.note,.status{color:#1b1b1b}
iframe{width:100%;height:40rem;border:1px solid #ddd}
.versions li{margin:.5rem 0}
.diff{white-space:pre-wrap;font:.875rem/1.4 monospace;background:#f6f6f6;padding:.5rem}
.diff ins{background:#d7f5dc;text-decoration:none}.diff del{background:#fbdada}
`;

const JS = `(function () {
  'use strict';
  var token = sessionStorage.getItem('desk-token');
  var config = null;
  var current = null; // the draft key being edited, and its version
  var pendingImages = []; // images from a Word document, uploaded with the draft
  var LABELS = { published: 'Đã đăng', scheduled: 'Hẹn giờ', rejected: 'Bị từ chối', withdrawn: 'Đã gỡ', failed: 'Lỗi' };
  var $ = function (id) { return document.getElementById(id); };
  function show(id) { ['sign-in', 'board', 'editor', 'history'].forEach(function (s) { $(s).hidden = s !== id; }); }
  function api(method, path, body) {
    return fetch('/desk/api/' + path, {
      method: method,
      headers: Object.assign({ 'content-type': 'application/json' }, token ? { authorization: 'Bearer ' + token } : {}),
      body: body ? JSON.stringify(body) : undefined
    }).then(function (res) {
      if (res.status === 401 && path !== 'sign-in') { sessionStorage.removeItem('desk-token'); token = null; show('sign-in'); }
      return res.json().then(function (data) { return { status: res.status, data: data }; });
    });
  }
  function vnTime(iso) {
    var t = new Date(Date.parse(iso) + 7 * 3600000);
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    return two(t.getUTCDate()) + '/' + two(t.getUTCMonth() + 1) + '/' + t.getUTCFullYear() + ' ' + two(t.getUTCHours()) + ':' + two(t.getUTCMinutes());
  }
  function slugify(text) {
    return text.normalize('NFC').replace(/[đĐ]/g, 'd').normalize('NFD').replace(/[\\u0300-\\u036f]/g, '').toLowerCase()
      .split(/[^a-z0-9]+/).filter(Boolean).reduce(function (s, w) { return !s ? w.slice(0, 80) : (s.length + 1 + w.length > 80 ? s : s + '-' + w); }, '');
  }
  function text(el, value) { el.textContent = value; return el; }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.append(c); });
    return e;
  }

  // --- Sign-in -------------------------------------------------------------------------------------
  // The user pool may ask for more after the password: a new password, the authenticator's code, or
  // setting up an authenticator first. Each answer names the step; the form shows its field.
  var pending = null;
  function ask(step, message) {
    pending = step;
    $('new-password-row').hidden = step.kind !== 'new-password';
    $('code-row').hidden = step.kind !== 'totp' && step.kind !== 'totp-setup';
    $('totp-setup-row').hidden = step.kind !== 'totp-setup';
    if (step.kind === 'totp-setup') text($('totp-secret'), step.secret);
    $('password').disabled = true;
    text($('sign-in-error'), message);
    (step.kind === 'new-password' ? $('new-password') : $('code')).focus();
  }
  function restart(message) {
    pending = null;
    ['new-password-row', 'code-row', 'totp-setup-row'].forEach(function (id) { $(id).hidden = true; });
    $('password').disabled = false; $('password').value = ''; $('code').value = '';
    text($('sign-in-error'), message);
  }
  $('sign-in-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var body = { username: pending ? pending.username : $('username').value, password: $('password').value };
    if (pending) {
      body.session = pending.session;
      if (pending.kind === 'new-password') body.newPassword = $('new-password').value;
      else { body.code = $('code').value; body.setup = pending.kind === 'totp-setup'; }
    }
    api('POST', 'sign-in', body).then(function (r) {
      if (r.status !== 200) {
        var why = r.data.error || 'Không đăng nhập được.';
        if (pending && /hết hạn|không đúng.$/.test(why) && !/Mã xác thực/.test(why)) restart(why); else text($('sign-in-error'), why);
        return;
      }
      if (r.data.kind === 'new-password') { ask(r.data, 'Hãy đặt mật khẩu mới cho lần đăng nhập đầu.'); return; }
      if (r.data.kind === 'totp') { ask(r.data, 'Nhập mã 6 chữ số trong ứng dụng xác thực của bạn.'); return; }
      if (r.data.kind === 'totp-setup') { ask(r.data, 'Tài khoản cần xác thực hai bước: hãy cài đặt ứng dụng xác thực.'); return; }
      pending = null;
      token = r.data.token; sessionStorage.setItem('desk-token', token); start();
    });
  });

  // --- Board ---------------------------------------------------------------------------------------
  function start() {
    api('GET', 'config').then(function (r) {
      if (r.status !== 200) return;
      config = r.data;
      text($('who'), 'Đăng nhập: ' + config.editor);
      [$('filter-section'), $('f-section')].forEach(function (select, i) {
        select.replaceChildren.apply(select, (i === 0 ? [el('option', { value: '' }, ['Tất cả'])] : []).concat(
          config.sections.map(function (s) { return el('option', { value: s.slug }, [s.name]); })));
      });
      show('board'); loadBoard();
    });
  }
  var boardTimer = null;
  function loadBoard() {
    var q = new URLSearchParams();
    if ($('filter-section').value) q.set('section', $('filter-section').value);
    if ($('filter-state').value) q.set('state', $('filter-state').value);
    api('GET', 'board?' + q).then(function (r) {
      if (r.status !== 200) return;
      $('rows').replaceChildren.apply($('rows'), r.data.map(function (row) {
        var state = el('span', { class: 'state state-' + row.state }, [LABELS[row.state] + (row.scheduledFor ? ' ' + vnTime(row.scheduledFor) : '')]);
        var link = row.url ? el('a', { href: row.url.replace(/^https?:\\/\\/[^/]+/, '') }, ['Xem bài']) : '';
        var edit = el('button', { type: 'button', class: 'plain', 'data-key': row.key }, ['Sửa']);
        edit.addEventListener('click', function () { openDraft(row.key); });
        var hist = el('button', { type: 'button', class: 'plain' }, ['Lịch sử']);
        hist.addEventListener('click', function () { openHistory(row.key); });
        var down = el('button', { type: 'button', class: 'plain' }, ['Gỡ bài']);
        down.addEventListener('click', function () {
          if (!confirm('Gỡ bài "' + row.title + '" khỏi trang? Bản nháp vẫn được giữ trong lịch sử.')) return;
          api('POST', 'take-down', { key: row.key }).then(loadBoard);
        });
        return el('tr', { 'data-key': row.key }, [
          el('td', {}, [row.title, ' ', link]), el('td', {}, [row.section || '']), el('td', {}, [state]),
          el('td', {}, [(row.by || 'CLI') + ', ' + vnTime(row.at)]), el('td', {}, [edit, ' ', hist, ' ', down])
        ]);
      }));
    });
    clearTimeout(boardTimer);
    boardTimer = setTimeout(function () { if (!$('board').hidden) loadBoard(); }, 5000);
  }
  $('filters').addEventListener('change', loadBoard);
  $('new-draft').addEventListener('click', function () { current = null; pendingImages = []; $('draft-form').reset(); clearProblems(); show('editor'); });
  $('back').addEventListener('click', function () { show('board'); loadBoard(); });
  $('history-back').addEventListener('click', function () { show('board'); loadBoard(); });

  // --- The draft -----------------------------------------------------------------------------------
  function openDraft(key) {
    api('GET', 'draft?key=' + encodeURIComponent(key)).then(function (r) {
      if (r.status !== 200) return;
      var f = r.data.fields || {};
      current = { key: key };
      pendingImages = [];
      clearProblems();
      $('f-title').value = f.title || ''; $('f-section').value = f.section || key.split('/')[0];
      $('f-lead').value = f.lead || ''; $('f-author').value = (f.author && f.author.name) || '';
      $('f-role').value = (f.author && f.author.role) || ''; $('f-tags').value = (f.tags || []).join(', ');
      $('f-published').value = f.publishedAt ? localTime(String(f.publishedAt)) : '';
      $('f-slug').value = f.slug || ''; $('f-correction').value = f.correction || '';
      $('f-body').value = (r.data.body || '').replace(/^\\n+/, '');
      current.fields = f;
      show('editor');
    });
  }
  function localTime(iso) { var t = new Date(Date.parse(iso) + 7 * 3600000); return t.toISOString().slice(0, 16); }
  function draftKey() { return current ? current.key : $('f-section').value + '/' + (slugify($('f-slug').value || $('f-title').value) || 'bai-viet') + '.md'; }
  function draftText() {
    var q = JSON.stringify;
    var lines = ['---', 'title: ' + q($('f-title').value), 'section: ' + q($('f-section').value), 'lead: ' + q($('f-lead').value),
      'author: ' + q(Object.assign({ name: $('f-author').value }, $('f-role').value ? { role: $('f-role').value } : {}))];
    var tags = $('f-tags').value.split(',').map(function (t) { return t.trim(); }).filter(Boolean);
    if (tags.length) lines.push('tags: ' + q(tags));
    if ($('f-published').value) lines.push('publishedAt: ' + q($('f-published').value + ':00+07:00'));
    else if (current && current.fields && current.fields.publishedAt) lines.push('publishedAt: ' + q(String(current.fields.publishedAt)));
    if ($('f-slug').value) lines.push('slug: ' + q($('f-slug').value));
    if (current && current.fields && current.fields.id) lines.push('id: ' + q(String(current.fields.id)));
    if ($('f-correction').value) lines.push('correction: ' + q($('f-correction').value));
    lines.push('---', '', $('f-body').value.trim(), '');
    return lines.join('\\n');
  }
  function clearProblems() { document.querySelectorAll('.problem').forEach(function (p) { p.textContent = ''; }); $('problems').replaceChildren(); text($('status'), ''); }
  function showProblems(problems) {
    clearProblems();
    (problems || []).forEach(function (p) {
      var field = String(p.field || '').split('.')[0];
      var slot = $('p-' + field);
      if (slot) slot.textContent = p.message; else $('problems').append(el('li', {}, [p.message]));
    });
  }
  function upload(key, blob, type) {
    return blob.arrayBuffer().then(function (buf) { return crypto.subtle.digest('SHA-256', buf); }).then(function (hash) {
      return api('POST', 'uploads', { key: key, contentType: type, size: blob.size, sha256: b64(hash) });
    }).then(function (r) {
      if (r.status !== 200) throw new Error(r.data.error);
      return fetch(r.data.url, { method: 'PUT', headers: r.data.headers, body: blob }).then(function (res) {
        if (!res.ok) throw new Error('Tải lên không được (' + res.status + ').');
      });
    });
  }
  function b64(bytes) { var s = ''; var a = new Uint8Array(bytes); for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); return btoa(s); }
  function fromB64(s) { var bin = atob(s); var a = new Uint8Array(bin.length); for (var i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i); return a; }
  $('docx').addEventListener('change', function () {
    var file = $('docx').files[0];
    if (!file) return;
    text($('docx-note'), 'Đang chuyển tệp Word...');
    file.arrayBuffer().then(function (buf) {
      return api('POST', 'convert', { data: b64(buf), section: $('f-section').value });
    }).then(function (r) {
      if (r.status !== 200) { text($('docx-note'), r.data.error); return; }
      if (r.data.title) $('f-title').value = r.data.title;
      $('f-body').value = r.data.body;
      pendingImages = r.data.images;
      text($('docx-note'), 'Đã chuyển tệp Word thành bản nháp bên dưới (' + r.data.images.length + ' ảnh). Hãy kiểm tra trước khi gửi.');
    });
  });
  $('images').addEventListener('change', function () {
    Array.prototype.forEach.call($('images').files, function (file) {
      var name = slugify(file.name.replace(/\\.[^.]+$/, '')) + '.' + file.name.split('.').pop().toLowerCase();
      var key = draftKey().replace(/[^/]+$/, '') + 'images/' + name;
      upload(key, file, file.type).then(function () { $('f-body').value += '\\n\\n![](images/' + name + ')\\n'; });
    });
  });
  function sendImages() {
    var folder = draftKey().replace(/[^/]+$/, '') + 'images/';
    return Promise.all(pendingImages.map(function (img) { return upload(folder + img.name, new Blob([fromB64(img.bytes)], { type: img.contentType }), img.contentType); }));
  }
  $('preview').addEventListener('click', function () {
    sendImages().then(function () {
      pendingImages = [];
      return api('POST', 'preview', { key: draftKey(), text: draftText() });
    }).then(function (r) {
      if (r.status !== 200 || !r.data.ok) { showProblems(r.data.problems || [{ message: r.data.error }]); $('preview-frame').hidden = true; return; }
      clearProblems();
      $('preview-frame').srcdoc = r.data.html;
      $('preview-frame').hidden = false;
      text($('status'), 'Bản xem trước bên dưới: trang sẽ như thế này khi đăng.');
    }).catch(function (err) { text($('status'), String(err.message || err)); });
  });
  $('share').addEventListener('click', function () {
    api('POST', 'preview-links', { key: draftKey() }).then(function (r) {
      if (r.status !== 200) return;
      var url = location.origin + r.data.path;
      $('status').replaceChildren('Liên kết xem trước (hết hạn ' + vnTime(r.data.expiresAt) + '): ', el('a', { href: url, id: 'share-link' }, [url]));
    });
  });
  $('draft-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var key = draftKey();
    var body = draftText();
    var at = $('f-published').value;
    if (at && Date.parse(at + ':00+07:00') > Date.now() && !confirm('Hẹn giờ đăng bài lúc ' + at.replace('T', ' ') + ' (giờ Việt Nam)? Bài sẽ không hiện trên trang trước giờ đó.')) return;
    text($('status'), 'Đang gửi...');
    var started = Date.now();
    sendImages().then(function () {
      pendingImages = [];
      return upload(key, new Blob([body], { type: 'text/markdown; charset=utf-8' }), 'text/markdown; charset=utf-8');
    }).then(function () {
      current = current || { key: key };
      current.key = key;
      text($('status'), 'Đã gửi; đang chờ kết quả...');
      waitForReport(key, started);
    }).catch(function (err) { text($('status'), String(err.message || err)); });
  });
  function waitForReport(key, since) {
    api('GET', 'report?key=' + encodeURIComponent(key)).then(function (r) {
      var report = r.data;
      var fresh = report && report.status && Date.parse(report.uploadedAt) >= since - 60000;
      if (!fresh) { setTimeout(function () { waitForReport(key, since); }, 1000); return; }
      showProblems(report.errors);
      var label = LABELS[report.status] + (report.scheduledFor ? ' ' + vnTime(report.scheduledFor) : '');
      var parts = ['Kết quả: ', el('strong', { id: 'report-state' }, [label])];
      if (report.url) parts.push(' ', el('a', { href: report.url.replace(/^https?:\\/\\/[^/]+/, ''), id: 'report-link' }, ['Xem bài']));
      $('status').replaceChildren.apply($('status'), parts);
      (report.warnings || []).forEach(function (w) { $('problems').append(el('li', { class: 'warning' }, ['Lưu ý: ' + w.message])); });
      api('GET', 'draft?key=' + encodeURIComponent(key)).then(function (d) { if (d.status === 200 && current) current.fields = d.data.fields; });
    });
  }

  // --- History -------------------------------------------------------------------------------------
  function openHistory(key) {
    show('history');
    text($('diff'), '');
    api('GET', 'versions?key=' + encodeURIComponent(key)).then(function (r) {
      var versions = r.data || [];
      $('versions').replaceChildren.apply($('versions'), versions.map(function (v, i) {
        var parts = [(v.deleted ? 'Đã xóa' : 'Phiên bản') + ' ' + vnTime(v.at) + ', ' + (v.editor || 'CLI') + (v.latest ? ' (hiện tại)' : '')];
        var older = versions[i + 1];
        if (!v.deleted && older && !older.deleted) {
          var diff = el('button', { type: 'button', class: 'plain' }, ['So với bản trước']);
          diff.addEventListener('click', function () {
            api('GET', 'diff?key=' + encodeURIComponent(key) + '&from=' + older.versionId + '&to=' + v.versionId).then(function (d) {
              $('diff').replaceChildren.apply($('diff'), d.data.map(function (p) { return p.added ? el('ins', {}, [p.text]) : p.removed ? el('del', {}, [p.text]) : p.text; }));
            });
          });
          parts.push(' ', diff);
        }
        if (!v.deleted && !v.latest) {
          var restore = el('button', { type: 'button', class: 'plain' }, ['Khôi phục bản này']);
          restore.addEventListener('click', function () {
            if (!confirm('Khôi phục phiên bản lúc ' + vnTime(v.at) + '? Bản hiện tại vẫn được giữ trong lịch sử.')) return;
            api('POST', 'restore', { key: key, versionId: v.versionId }).then(function () { openHistory(key); });
          });
          parts.push(' ', restore);
        }
        return el('li', {}, parts);
      }));
    });
  }

  if (token) start(); else show('sign-in');
})();
`;

export interface DeskFile {
  readonly path: string;
  readonly body: string;
  readonly contentType: string;
}

/** The desk's files, by the path readers' browsers ask for. */
export const DESK_FILES: readonly DeskFile[] = [
  { path: '/desk/', body: HTML, contentType: 'text/html; charset=utf-8' },
  { path: '/desk/desk.css', body: CSS, contentType: 'text/css; charset=utf-8' },
  { path: '/desk/desk.js', body: JS, contentType: 'text/javascript; charset=utf-8' },
];

/**
 * The desk's content security policy: its own scripts and styles only, and uploads to the drafts bucket's
 * origin (presigned URLs); the preview is shown in a sandboxed frame of its own markup.
 */
export function deskContentSecurityPolicy(uploadOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${uploadOrigin}`,
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
