// The caregiver's check-in page: fills the hidden longitude and latitude
// fields from the phone's position when the browser gives it. The form works
// without it (the position is optional); nothing here is needed to submit.
(function () {
  var status = document.getElementById('location-status');
  var lon = document.getElementById('longitude');
  var lat = document.getElementById('latitude');
  if (!status || !lon || !lat || !navigator.geolocation) { return; }
  status.textContent = '正在获取位置…（可不等待直接提交）';
  navigator.geolocation.getCurrentPosition(function (p) {
    lon.value = p.coords.longitude.toFixed(6);
    lat.value = p.coords.latitude.toFixed(6);
    status.textContent = '已定位（精度约 ' + Math.round(p.coords.accuracy) + ' 米）';
  }, function () {
    status.textContent = '未能获取位置（可不定位直接提交）';
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
})();
