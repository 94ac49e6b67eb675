/* The map beside the results list (never instead of it): one marker per result. */
(function () {
  "use strict";
  var markers = null;
  function draw() {
    var box = document.getElementById("map");
    if (!box || !window.L) return;
    if (!box._map) {
      box._map = L.map(box, { scrollWheelZoom: false });
      L.tileLayer(box.dataset.tiles, { maxZoom: 18, attribution: "© OpenStreetMap" }).addTo(box._map);
    }
    if (markers) markers.remove();
    markers = L.layerGroup().addTo(box._map);
    var points = [];
    document.querySelectorAll("#results [data-lat]").forEach(function (item) {
      var lat = parseFloat(item.dataset.lat), lon = parseFloat(item.dataset.lon);
      if (isNaN(lat) || isNaN(lon)) return;
      var link = document.createElement("a");
      link.href = item.dataset.href; link.textContent = item.dataset.title;
      L.marker([lat, lon], { keyboard: true, title: item.dataset.title }).bindPopup(link).addTo(markers);
      points.push([lat, lon]);
    });
    if (points.length) box._map.fitBounds(points, { padding: [30, 30], maxZoom: 14 });
    else box._map.setView([45.07, 7.69], 8);
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSwap", draw);
})();
