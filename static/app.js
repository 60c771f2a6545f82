// Small enhancements; every page works without this file.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-autofocus]");
    if (summary) summary.focus();

    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = document.getElementById(button.getAttribute("data-copy"));
        var done = function () {
          var label = button.textContent;
          button.textContent = button.getAttribute("data-copied") || "Copied";
          setTimeout(function () { button.textContent = label; }, 2500);
        };
        input.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });

    document.querySelectorAll("textarea[data-count]").forEach(function (area) {
      var limit = parseInt(area.getAttribute("data-count"), 10);
      var note = document.getElementById(area.id + "-count");
      var update = function () {
        var left = limit - area.value.length;
        note.textContent = left >= 0
          ? "You have " + left.toLocaleString("en-GB") + " characters remaining"
          : "You have " + (-left).toLocaleString("en-GB") + " characters too many";
      };
      area.addEventListener("input", update);
      update();
    });

    // On a phone the sales list's filters would fill two screens: fold them away.
    if (window.matchMedia && window.matchMedia("(max-width: 40rem)").matches) {
      document.querySelectorAll("details[data-fold-narrow]").forEach(function (panel) {
        panel.open = false;
      });
    }

    var form = document.querySelector("form[data-answers]");
    if (form) {
      notSure(form);
      conditions(form);
    }
  });

  // "Not sure" excludes a question's other answers: ticking it clears them, and choosing
  // or typing one of them clears it. Without script the server refuses the mix instead.
  function notSure(form) {
    form.querySelectorAll("input[data-exclusive]").forEach(function (box) {
      var others = form.querySelectorAll('input[name="' + box.name + '"]:not([data-exclusive])');
      box.addEventListener("change", function () {
        if (box.checked) others.forEach(function (other) { other.checked = false; });
      });
      others.forEach(function (other) {
        other.addEventListener("change", function () { if (other.checked) box.checked = false; });
      });
    });
    form.querySelectorAll("input[data-clears]").forEach(function (box) {
      var input = document.getElementById(box.getAttribute("data-clears"));
      box.addEventListener("change", function () { if (box.checked) input.value = ""; });
      input.addEventListener("input", function () { if (input.value.trim() !== "") box.checked = false; });
    });
  }

  // Show or hide questions whose show_if looks at answers on this page. The server
  // evaluates the same conditions when the page is saved; this only saves a round trip.
  function conditions(form) {
    var saved = JSON.parse(form.getAttribute("data-answers") || "{}");
    var blocks = Array.prototype.slice.call(form.querySelectorAll(".question"));

    function valueOf(id) {
      var inputs = form.querySelectorAll('[name="' + id + '"]');
      if (!inputs.length) return saved[id] === undefined ? null : saved[id];
      var first = inputs[0];
      if (first.type === "radio") {
        var checked = form.querySelector('[name="' + id + '"]:checked');
        return checked ? checked.value : null;
      }
      if (first.type === "checkbox") {
        var chosen = Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
        return chosen.indexOf("not_sure") >= 0 ? "not_sure" : chosen;
      }
      var unsure = document.getElementById(id + "-not-sure");
      if (unsure && unsure.checked) return "not_sure";
      if (first.value.trim() === "") return null;
      var n = Number(first.value);
      return isNaN(n) ? null : n;
    }

    function holds(cond, answers) {
      if (cond.mode) {
        var results = cond.items.map(function (c) { return holds(c, answers); });
        return cond.mode === "all" ? results.every(Boolean) : results.some(Boolean);
      }
      var a = answers[cond.q];
      if (a === null || a === undefined) return false;
      if (a === "not_sure") return true; // as the server: "Not sure" shows what it guards
      if (Array.isArray(a)) {
        if (cond.op === "equals") return a.indexOf(cond.v) >= 0;
        if (cond.op === "not") return a.indexOf(cond.v) < 0;
        if (cond.op === "in") return cond.v.some(function (v) { return a.indexOf(v) >= 0; });
        if (cond.op === "at_least") return a.length >= cond.v;
      }
      if (cond.op === "equals") return a === cond.v;
      if (cond.op === "not") return a !== cond.v;
      if (cond.op === "in") return cond.v.indexOf(a) >= 0;
      if (cond.op === "at_least") return a >= cond.v;
      return false;
    }

    function update() {
      // In page order, so a hidden question counts as unanswered for those after it.
      var answers = Object.assign({}, saved);
      blocks.forEach(function (block) {
        var id = block.id.replace(/^question-/, "");
        var rule = block.getAttribute("data-show-if");
        var shown = !rule || holds(JSON.parse(rule), answers);
        block.hidden = !shown;
        answers[id] = shown ? valueOf(id) : null;
      });
    }

    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }
})();
