// The case type form (templates/admin/type_form.html) works without this file. With it: the
// colour can be picked as well as typed, and a question's "answers to choose" show only for
// the two list kinds, as soon as the kind is chosen; a kind of service's own section (the
// registration rules) shows as soon as that kind is chosen.
(function () {
  "use strict";
  const text = document.getElementById("color");
  const picker = document.getElementById("color-picker");
  const hex = /^#[0-9a-fA-F]{6}$/;
  if (text && picker) {
    if (hex.test(text.value)) picker.value = text.value.toLowerCase();
    picker.addEventListener("input", () => { text.value = picker.value; });
    text.addEventListener("input", () => { if (hex.test(text.value)) picker.value = text.value.toLowerCase(); });
  }
  const lists = ["singlevaluelist", "multivaluelist"];
  document.querySelectorAll(".question-editor select.datatype").forEach((select) => {
    const editor = select.closest(".question-editor");
    select.addEventListener("change", () => {
      editor.classList.toggle("is-list", lists.includes(select.value));
    });
  });
  const kind = document.getElementById("kind");
  if (kind) {
    const sections = document.querySelectorAll(".kind-section");
    const show = () => sections.forEach((section) => { section.hidden = section.dataset.kind !== kind.value; });
    kind.addEventListener("change", show);
  }
})();
