// Loaded as <script type="module">: CSP ('self') forbids the inline snippet NHS.UK's template uses,
// so the body classes that switch on the JavaScript-enhanced styles are added here instead.
import { initAll } from "./nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
