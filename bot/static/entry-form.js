// The entry form checks itself while the editor types: answer size and phrasing count at
// once, and the server's full check (the same as saving) a moment after typing stops.
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form || !window.fetch || !window.TextEncoder) return;
  var limit = parseInt(form.dataset.limit, 10);
  var minPhrasings = parseInt(form.dataset.minPhrasings, 10);
  var answer = document.getElementById("answer");
  var phrasings = document.getElementById("phrasings");
  var question = document.getElementById("question");
  var bytesOut = document.getElementById("answer-bytes");
  var countOut = document.getElementById("phrasing-count");
  var live = document.getElementById("live-problems");
  var encoder = new TextEncoder();
  var timer = null;
  var asked = 0;

  function distinctPhrasings() {
    var seen = {};
    var title = question.value.trim();
    phrasings.value.split("\n").forEach(function (line) {
      line = line.trim();
      if (line && line !== title) seen[line] = true;
    });
    return Object.keys(seen).length;
  }

  function counters() {
    var size = encoder.encode(answer.value.trim()).length;
    bytesOut.textContent = size + " / " + limit + " 字节" + (size > limit ? "，太长了" : "");
    bytesOut.classList.toggle("over", size > limit);
    var n = distinctPhrasings();
    countOut.textContent = "已写 " + n + " 种问法" + (n < minPhrasings ? "，还差 " + (minPhrasings - n) + " 种" : "");
    countOut.classList.toggle("over", n < minPhrasings);
  }

  function show(problems) {
    while (live.firstChild) live.removeChild(live.firstChild);
    if (!problems.length) {
      live.hidden = true;
      return;
    }
    var head = document.createElement("strong");
    head.textContent = "保存前还要改：";
    live.appendChild(head);
    var list = document.createElement("ul");
    list.className = "problems";
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.textContent = (p.label ? p.label + "：" : "") + p.message;
      list.appendChild(item);
    });
    live.appendChild(list);
    live.hidden = false;
  }

  function check() {
    var mine = ++asked;
    fetch(form.dataset.checkUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && mine === asked) show(data.problems);
      })
      .catch(function () {});
  }

  function changed() {
    counters();
    clearTimeout(timer);
    timer = setTimeout(check, 1200);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  counters();
})();
