// The proposal form's optional place: a tap drops (or moves) the pin and fills the
// coordinates the form sends; "Remove the pin" empties them. Without JS the coordinates are typed.
(function () {
  "use strict";
  const mapBox = document.getElementById("place-map");
  const latInput = document.getElementById("lat");
  const lonInput = document.getElementById("lon");
  const clear = document.getElementById("clear-pin");
  const error = document.getElementById("form-error");
  if (error) error.focus();
  if (!mapBox || !window.L) return;
  const map = window[mapBox.dataset.map];
  map.fitBounds(JSON.parse(mapBox.dataset.bounds), { animate: false });
  let pin = null;

  function place(lat, lon) {
    if (pin) pin.setLatLng([lat, lon]);
    else pin = L.marker([lat, lon]).addTo(map);
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    clear.hidden = false;
  }

  map.on("click", (event) => place(event.latlng.lat, event.latlng.lng));
  clear.addEventListener("click", () => {
    if (pin) { pin.remove(); pin = null; }
    latInput.value = "";
    lonInput.value = "";
    clear.hidden = true;
  });
  const lat = parseFloat(latInput.value);
  const lon = parseFloat(lonInput.value);
  if (Number.isFinite(lat) && Number.isFinite(lon)) place(lat, lon);
})();
