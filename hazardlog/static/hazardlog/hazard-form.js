// The hazard form, a little smoother: "Add another" adds a blank cause or control in place, and the
// rating appears as soon as a severity and a likelihood are chosen. Without this script the form does
// the same through the server (the buttons post the page back with one more blank form).

const form = document.querySelector(".hl-hazard-form");
if (form) {
  enhanceAddButtons(form);
  showRatings(form);
  nameCausesInControls(form);
}

function enhanceAddButtons(form) {
  for (const button of form.querySelectorAll("button[data-add]")) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      const prefix = button.dataset.add;
      const list = form.querySelector(`[data-list="${prefix}"]`);
      const template = document.getElementById(`${prefix}-template`);
      const total = form.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
      const index = Number(total.value);
      const key = prefix === "causes" ? Number(list.dataset.nextKey) : list.children.length + 1;
      list.insertAdjacentHTML(
        "beforeend",
        template.innerHTML.replaceAll("__prefix__", String(index)).replaceAll("__key__", String(key)),
      );
      total.value = String(index + 1);
      if (prefix === "causes") {
        list.dataset.nextKey = String(key + 1);
        addCauseToControls(form, key);
      } else {
        nameCauses(form, list.lastElementChild);
      }
      list.lastElementChild.querySelector("textarea, input:not([type=hidden])")?.focus();
    });
  }
}

// Every control (and the blank control each "Add another" copies) can answer the new cause.
function addCauseToControls(form, key) {
  const places = [form, ...[...form.querySelectorAll("template")].map((template) => template.content)];
  for (const place of places) {
    for (const answers of place.querySelectorAll(".hl-answers")) {
      const boxes = answers.querySelector(".nhsuk-checkboxes");
      if (!boxes) continue;
      const name = answers.dataset.answersName;
      const id = `id_${name}_${boxes.children.length}`;
      const item = document.createElement("div");
      item.className = "nhsuk-checkboxes__item";
      const input = Object.assign(document.createElement("input"), {
        className: "nhsuk-checkboxes__input",
        id,
        name,
        type: "checkbox",
        value: String(key),
      });
      const label = Object.assign(document.createElement("label"), {
        className: "nhsuk-label nhsuk-checkboxes__label",
        htmlFor: id,
        textContent: `Cause ${key}`,
      });
      item.append(input, label);
      boxes.append(item);
    }
  }
}

// The controls' "Causes it answers" boxes show what each cause says, as it is typed.
function nameCausesInControls(form) {
  form.addEventListener("input", (event) => {
    if (event.target.closest("[data-item=cause]") && event.target.tagName === "TEXTAREA") {
      nameCauses(form, form);
    }
  });
}

function nameCauses(form, within) {
  for (const input of within.querySelectorAll(".hl-answers input[type=checkbox]")) {
    const cause = form.querySelector(`[data-item=cause][data-key="${input.value}"] textarea`);
    const label = within.querySelector(`label[for="${input.id}"]`);
    if (!cause || !label) continue;
    const text = cause.value.split(/\s+/).join(" ").trim();
    const short = text.length > 60 ? `${text.slice(0, 57)}…` : text;
    label.textContent = short ? `Cause ${input.value}: ${short}` : `Cause ${input.value}`;
  }
}

function showRatings(form) {
  const source = document.getElementById("hl-rating-grid");
  if (!source) return;
  const grid = JSON.parse(source.textContent);
  for (const result of form.querySelectorAll("[data-rating-for]")) {
    const stage = result.dataset.ratingFor;
    const value = result.querySelector(".hl-rating-result__value");
    const show = () => {
      const severity = form.querySelector(`input[name="${stage}-severity"]:checked`);
      const likelihood = form.querySelector(`input[name="${stage}-likelihood"]:checked`);
      if (!severity || !likelihood) return;
      const rating = grid[`${severity.value}-${likelihood.value}`];
      const tag = Object.assign(document.createElement("strong"), {
        className: `nhsuk-tag hl-rating ${rating.class}`,
        textContent: `${rating.number} ${rating.label}`,
      });
      value.replaceChildren(tag, ` ${rating.acceptability}`);
    };
    form.addEventListener("change", (event) => {
      if (event.target.name?.startsWith(`${stage}-`)) show();
    });
    // Levels chosen before this script ran (or restored by the browser on going back) are shown too.
    show();
  }
}
