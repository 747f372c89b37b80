// Loaded in <head>: marks the page as scripted before it is drawn, so the parts only
// JavaScript can run (map, "use my location") show at once and the fallbacks never flash.
document.documentElement.classList.add("js");
