// Case markers as the dispatcher's map draws them: the case type's icon (static/icons/*.svg)
// on a white disc ringed in its status's colour (css/case-markers.css), and a map legend.
// Shared by the maps that show cases (the crew's phone map, crew.js).
(function () {
  "use strict";

  // icons: a type icon's name: its address (fingerprinted); properties: {icon, status};
  // classes: more class names; size in pixels.
  function icon(icons, properties, classes, size) {
    const image = document.createElement("img");
    image.src = icons[properties.icon];
    image.alt = "";
    return L.divIcon({ className: ["case-marker", `status-${properties.status}`, ...classes].join(" "),
                       iconSize: [size, size], html: image });
  }

  // A legend that folds away (a phone's map is small): rows of [sample element, label].
  function legend(title, rows, position) {
    const control = L.control({ position });
    control.onAdd = () => {
      const box = L.DomUtil.create("details", "legend");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      const summary = L.DomUtil.create("summary", "", box);
      summary.textContent = title;
      const list = L.DomUtil.create("ul", "", box);
      rows.forEach(([sample, label]) => {
        const item = L.DomUtil.create("li", "", list);
        item.append(sample, document.createTextNode(label));
      });
      return box;
    };
    return control;
  }

  // A sample for a legend row: a status's ring, or a type's icon.
  function ring(status) {
    const dot = document.createElement("i");
    dot.className = `legend-ring status-${status}`;
    return dot;
  }

  function typeIcon(icons, name) {
    const image = document.createElement("img");
    image.src = icons[name];
    image.alt = "";
    image.className = "legend-icon";
    return image;
  }

  window.mapdash.caseMarkers = { icon, legend, ring, typeIcon };
})();
