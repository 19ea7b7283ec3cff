// A button marked data-print prints the page (the Content-Security-Policy refuses onclick="" attributes).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
