// Back office console: progressive enhancement only. Every page and form works
// without this file; with it, decision forms ask for confirmation and tables
// can be filtered from the keyboard. No inline script anywhere (CSP script-src 'self').
(function () {
  "use strict";

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
  }

  function filterTables() {
    document.querySelectorAll("input[data-filter-table]").forEach(function (input) {
      var table = document.getElementById(input.getAttribute("data-filter-table"));
      if (!table) { return; }
      input.hidden = false;
      var label = document.querySelector("label[for='" + input.id + "']");
      if (label) { label.hidden = false; }
      input.addEventListener("input", function () {
        var needle = input.value.toLowerCase();
        table.querySelectorAll("tbody tr").forEach(function (row) {
          row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    confirmForms();
    filterTables();
  });
})();
