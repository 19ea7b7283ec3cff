// The incident log form: adding and removing people, and the warning shown for image categories.
// Works with htmx, which fetches the search results and the people rows from the server.
(function () {
  "use strict";

  function form() { return document.getElementById("incident-log-form"); }

  function imageCategories() {
    var value = form().dataset.imageCategories || "";
    return value ? value.split(",") : [];
  }

  function showImagesWarning() {
    var select = document.getElementById("id_category");
    var warning = document.getElementById("images-warning");
    if (!select || !warning) return;
    warning.hidden = imageCategories().indexOf(select.value) === -1;
  }

  function draftChanged() {
    // Removing or adding a person changes the form without an input event: save the draft too.
    form().dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!form()) return;
    showImagesWarning();
    document.getElementById("id_category").addEventListener("change", showImagesWarning);

    var outsider = document.getElementById("outsider-name");
    var addButton = document.getElementById("outsider-add");
    function add() {
      var name = outsider.value.trim();
      if (!name) { outsider.focus(); return; }
      var url = addButton.dataset.rowUrl + "?person=" + encodeURIComponent("outsider:" + name);
      htmx.ajax("GET", url, { target: "#people", swap: "beforeend" }).then(function () {
        outsider.value = "";
        outsider.focus();
        draftChanged();
      });
    }
    addButton.addEventListener("click", add);
    outsider.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); add(); }
    });

    document.getElementById("people").addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-person]");
      if (!button) return;
      var row = button.closest("li");
      var list = row.parentElement;
      row.remove();
      draftChanged();
      var search = document.getElementById("people-search");
      if (search) search.focus();
      if (!list.children.length) list.setAttribute("data-empty", "");
    });

    // After a search result is picked, clear the search and put the focus back for the next name.
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target && event.detail.target.id === "people" && event.detail.requestConfig.verb === "get"
          && event.detail.requestConfig.elt && event.detail.requestConfig.elt.closest("#people-results")) {
        var search = document.getElementById("people-search");
        search.value = "";
        document.getElementById("people-results").innerHTML = "";
        search.focus();
        draftChanged();
      }
    });
  });
})();
