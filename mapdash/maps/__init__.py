"""Every map read in SQL (PostgreSQL builds the GeoJSON), the public list and open data,
and the folium/Leaflet maps the pages embed."""
