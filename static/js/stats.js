// The statistics page's map: villages shaded by the cases received (a choropleth) and a heat
// map of where the cases were reported, both drawn from the page's own data, so the map still
// says something when map tiles cannot be loaded. The heat map is our own canvas layer: each
// cell of cases leaves a soft spot whose darkness adds up, then the darkness is coloured.
(function () {
  "use strict";
  const { _, pgettext } = window.mapdash;
  const box = document.getElementById("stats-map");
  const source = document.getElementById("stats-data");
  if (!box || !source) return;
  const map = window[box.dataset.map];
  const data = JSON.parse(source.textContent);
  map.fitBounds(JSON.parse(box.dataset.bounds));

  // --- the choropleth ---------------------------------------------------------------------
  const features = data.villages.features;
  const most = Math.max(0, ...features.map((f) => f.properties.received));
  const SHADES = ["#eff6ff", "#bfdbfe", "#60a5fa", "#2563eb", "#1e3a8a"];
  function shade(count) {
    if (!count) return "#f1f5f9";
    return SHADES[Math.min(SHADES.length - 1, Math.floor((count / Math.max(most, 1)) * (SHADES.length - 1) + 0.5))];
  }
  const villages = L.geoJSON(data.villages, {
    style: (feature) => ({
      color: feature.properties.selected ? "#b91c1c" : "#334155",
      weight: feature.properties.selected ? 3 : 1.2,
      fillOpacity: 0.7, fillColor: shade(feature.properties.received),
    }),
    onEachFeature: (feature, polygon) => {
      const p = feature.properties;
      polygon.bindTooltip(String(p.received), { permanent: true, direction: "center", className: "count-label" });
      const popup = document.createElement("div");
      const lines = [p.label, `${pgettext("stats", "Received")}: ${p.received}`, `${_("Still open")}: ${p.still_open}`,
        `${_("Overdue now")}: ${p.overdue}`, `${_("Median to resolve")}: ${p.resolve_p50}`];
      lines.forEach((text, i) => {
        const line = document.createElement(i ? "div" : "strong");
        line.textContent = text;
        popup.appendChild(line);
      });
      polygon.bindPopup(popup);
    },
  }).addTo(map);
  if (features.length) map.fitBounds(villages.getBounds());

  // --- the heat map -----------------------------------------------------------------------
  const RADIUS = 18; // px of a cell's spot
  const HeatLayer = L.Layer.extend({
    initialize(cells) { this.cells = cells; },
    onAdd(m) {
      this.canvas = L.DomUtil.create("canvas", "heat-layer leaflet-zoom-hide");
      m.getPanes().overlayPane.appendChild(this.canvas);
      m.on("moveend zoomend resize", this.redraw, this);
      this.redraw();
    },
    onRemove(m) {
      m.off("moveend zoomend resize", this.redraw, this);
      this.canvas.remove();
    },
    redraw() {
      const m = this._map;
      const size = m.getSize();
      const canvas = this.canvas;
      canvas.width = size.x;
      canvas.height = size.y;
      L.DomUtil.setPosition(canvas, m.containerPointToLayerPoint([0, 0]));
      const ctx = canvas.getContext("2d");
      const heaviest = Math.max(1, ...this.cells.map((c) => c[2]));
      for (const [lon, lat, count] of this.cells) {
        const p = m.latLngToContainerPoint([lat, lon]);
        if (p.x < -RADIUS || p.y < -RADIUS || p.x > size.x + RADIUS || p.y > size.y + RADIUS) continue;
        const spot = ctx.createRadialGradient(p.x, p.y, 0, p.x, p.y, RADIUS);
        const strength = 0.15 + 0.85 * Math.sqrt(count / heaviest);
        spot.addColorStop(0, `rgba(0,0,0,${strength.toFixed(3)})`);
        spot.addColorStop(1, "rgba(0,0,0,0)");
        ctx.fillStyle = spot;
        ctx.fillRect(p.x - RADIUS, p.y - RADIUS, RADIUS * 2, RADIUS * 2);
      }
      const image = ctx.getImageData(0, 0, size.x, size.y);
      const px = image.data;
      for (let i = 3; i < px.length; i += 4) {
        const a = px[i] / 255;
        if (!a) continue;
        // blue → yellow → red as the cases add up
        const [r, g, b] = a < 0.5 ? [Math.round(510 * a), Math.round(200 + 110 * a), Math.round(255 * (1 - 2 * a))]
          : [255, Math.round(255 * (2 - 2 * a)), 0];
        px[i - 3] = r; px[i - 2] = g; px[i - 1] = b;
        px[i] = Math.round(90 + 150 * a);
      }
      ctx.putImageData(image, 0, 0);
    },
  });
  const heat = new HeatLayer(data.heat);
  L.control.layers(null, { [_("Villages: cases received")]: villages, [_("Heat map of reports")]: heat },
    { collapsed: false }).addTo(map);
  box.dataset.loaded = String(features.length);
  box.dataset.heatCells = String(data.heat.length);
})();
