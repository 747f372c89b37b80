// The receipt's "print" button (no inline handler: the CSP forbids it).
document.getElementById("print-receipt").addEventListener("click", () => window.print());
