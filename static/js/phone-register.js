// The phone register's shortcuts (templates/devices/phones/register.html and collect.html). Without this script the
// pages work the same through the server; with it:
// - "Everyone present handed in" (or "All collected") ticks every row at once, except pupils marked absent, without
//   leaving the page;
// - "Handed in" and "Absent" undo each other;
// - a pouch or locker number scanned or typed in the box ticks the pupil whose pouch it is.
(function () {
  "use strict";

  function setUp(form) {
    const rows = Array.from(form.querySelectorAll("[data-row]"));
    const status = form.querySelector("[data-register-status]");

    function say(text) {
      if (!status) return;
      // Emptied first, so that the same words twice are read out twice.
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }

    function tickBox(row) {
      return row.querySelector("[data-handed-in]") || row.querySelector("[data-collected]");
    }

    rows.forEach(function (row) {
      const handedIn = row.querySelector("[data-handed-in]");
      const absent = row.querySelector("[data-absent]");
      if (handedIn && absent) {
        handedIn.addEventListener("change", function () { if (handedIn.checked) absent.checked = false; });
        absent.addEventListener("change", function () { if (absent.checked) handedIn.checked = false; });
      }
    });

    const everyone = form.querySelector("[data-everyone]");
    if (everyone) {
      everyone.addEventListener("click", function (event) {
        event.preventDefault();
        let ticked = 0;
        rows.forEach(function (row) {
          const box = tickBox(row);
          const absent = row.querySelector("[data-absent]");
          if (box && !(absent && absent.checked)) {
            box.checked = true;
            ticked += 1;
          }
        });
        say(everyone.dataset.everyoneSaid.replace("{count}", String(ticked)));
      });
    }

    const scan = form.querySelector("[data-scan]");
    if (!scan) return;
    const input = scan.querySelector("input");
    const button = scan.querySelector("[data-scan-button]");
    scan.hidden = false;

    function normal(text) {
      return text.trim().toLowerCase();
    }

    function tickScanned() {
      const wanted = normal(input.value);
      if (!wanted) return;
      const found = rows.filter(function (row) {
        const storage = row.querySelector("[data-storage]");
        return storage && tickBox(row) && normal(storage.value) === wanted;
      });
      if (found.length === 1) {
        const row = found[0];
        tickBox(row).checked = true;
        const absent = row.querySelector("[data-absent]");
        if (absent) absent.checked = false;
        const name = row.querySelector("legend").textContent.trim();
        // Marked by its border, which leaves the colours of its text and buttons as they are.
        row.classList.add("border-success", "border-2");
        row.scrollIntoView({ block: "nearest" });
        window.setTimeout(function () { row.classList.remove("border-success", "border-2"); }, 2000);
        say(name + ": handed in, pouch or locker " + input.value.trim() + ".");
        input.value = "";
      } else if (found.length > 1) {
        say(found.length + " pupils have pouch or locker " + input.value.trim() + ": tick them yourself.");
      } else {
        say("No pupil on this register has pouch or locker " + input.value.trim() + ": type it beside their name.");
      }
      input.focus();
    }

    input.addEventListener("keydown", function (event) {
      // A scanner ends with Enter: it ticks the pupil instead of sending the form.
      if (event.key === "Enter") {
        event.preventDefault();
        tickScanned();
      }
    });
    button.addEventListener("click", tickScanned);
  }

  document.querySelectorAll("[data-phone-register]").forEach(setUp);
})();
