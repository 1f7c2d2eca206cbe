// Loaded as <script type="module">: CSP ('self') forbids the inline snippet NHS.UK's template uses,
// so the body classes that switch on the JavaScript-enhanced styles are added here instead.
// A browser that runs modules is one NHS.UK frontend supports (its own test is `noModule`).
import { initAll } from "./nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
