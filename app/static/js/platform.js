/* Cascading choices and confirmations for the platform's own forms. */
(function () {
  "use strict";

  function fillSelect(select, items, placeholder) {
    select.innerHTML = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = placeholder;
    select.appendChild(first);
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.id;
      option.textContent = item.name;
      select.appendChild(option);
    });
  }

  function fetchChoices(url, select, placeholder) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (items) { fillSelect(select, items, placeholder); });
  }

  function placeholderOf(select) {
    var first = select.querySelector("option");
    return first ? first.textContent : "请选择";
  }

  // Region → province → work unit → county unit: choosing a unit reloads the
  // level below it and clears every level further down.
  document.querySelectorAll("[data-cascade=units]").forEach(function (box) {
    var selects = Array.prototype.slice.call(box.querySelectorAll("select[data-level]"));
    selects.forEach(function (select, index) {
      select.addEventListener("change", function () {
        selects.slice(index + 1).forEach(function (below) {
          fillSelect(below, [], placeholderOf(below));
        });
        var next = selects[index + 1];
        if (next && select.value) {
          fetchChoices("/api/choices/units?parent=" + encodeURIComponent(select.value), next, placeholderOf(next));
        }
      });
    });
  });

  // Title cascades: a level (and series) chooses the titles; a series chooses
  // its sub-specialties.
  document.querySelectorAll("[data-cascade=titles]").forEach(function (box) {
    function field(role) { return box.querySelector("[data-role=" + role + "]"); }
    var currentLevel = field("current-level");
    var currentTitle = field("current-title");
    var targetLevel = field("target-level");
    var targetSeries = field("target-series");
    var targetTitle = field("target-title");
    var subspecialty = field("target-subspecialty");

    function reloadTargetTitles() {
      if (!targetLevel.value || !targetSeries.value) {
        fillSelect(targetTitle, [], placeholderOf(targetTitle));
        return;
      }
      fetchChoices("/api/choices/titles?target=1&level=" + targetLevel.value + "&series=" + targetSeries.value,
        targetTitle, placeholderOf(targetTitle));
    }
    currentLevel.addEventListener("change", function () {
      if (!currentLevel.value) { fillSelect(currentTitle, [], placeholderOf(currentTitle)); return; }
      fetchChoices("/api/choices/titles?level=" + currentLevel.value, currentTitle, placeholderOf(currentTitle));
    });
    targetLevel.addEventListener("change", reloadTargetTitles);
    targetSeries.addEventListener("change", function () {
      reloadTargetTitles();
      if (!targetSeries.value) { fillSelect(subspecialty, [], placeholderOf(subspecialty)); return; }
      fetchChoices("/api/choices/subspecialties?series=" + targetSeries.value, subspecialty, placeholderOf(subspecialty));
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();

/* The review list: collapsible filters, select-all, reasons, title cascade. */
(function () {
  "use strict";

  document.querySelectorAll("[data-toggle-target]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var target = document.getElementById(link.getAttribute("data-toggle-target"));
      target.style.display = target.style.display === "none" ? "" : "none";
    });
  });

  document.querySelectorAll(".select-all").forEach(function (box) {
    box.addEventListener("change", function () {
      var table = box.closest("table");
      table.querySelectorAll("input[name=rows]").forEach(function (row) { row.checked = box.checked; });
    });
  });

  // 不合格, 退回 and 驳回 need a reason: ask for it when the box is empty.
  document.querySelectorAll("button[data-needs-reason]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var form = button.form;
      var input = form.querySelector("input[name=reason]");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = "reason";
        form.appendChild(input);
      }
      if (!input.value.trim()) {
        var reason = window.prompt("请填写" + button.textContent.trim() + "的原因");
        if (reason === null || !reason.trim()) { event.preventDefault(); return; }
        input.value = reason.trim();
      }
    });
  });

  document.querySelectorAll("[data-cascade=review-titles]").forEach(function (box) {
    var level = box.querySelector("[data-role=filter-level]");
    var series = box.querySelector("[data-role=filter-series]");
    var title = box.querySelector("[data-role=filter-title]");
    function reload() {
      var placeholder = title.querySelector("option").textContent;
      title.innerHTML = "<option value=\"\"></option>";
      title.querySelector("option").textContent = placeholder;
      if (!level.value || !series.value) { return; }
      fetch("/api/choices/titles?level=" + level.value + "&series=" + series.value, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (items) {
          items.forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.id;
            option.textContent = item.name;
            title.appendChild(option);
          });
        });
    }
    level.addEventListener("change", reload);
    series.addEventListener("change", reload);
  });
})();
