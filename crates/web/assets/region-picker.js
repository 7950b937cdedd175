// The region picker: in a field marked data-region-picker, typing part of a
// name ("古劳") offers the regions of that name within the user's scope,
// each with its path below the user's own region and its code; choosing one
// fills "古劳镇 / 麦水村委会（440784103202）", which the server reads as the
// code. Without this script the field still takes a code or a unique name.
(function () {
  'use strict';
  var fields = document.querySelectorAll('input[data-region-picker]');
  Array.prototype.forEach.call(fields, function (input, i) {
    var list = document.createElement('datalist');
    list.id = 'region-options-' + i;
    input.setAttribute('list', list.id);
    input.setAttribute('autocomplete', 'off');
    input.parentNode.insertBefore(list, input.nextSibling);
    var timer = null;
    var asked = '';
    input.addEventListener('input', function () {
      var q = input.value.trim();
      // A code, or a choice already made, needs no suggestions.
      if (q === asked || q === '' || /^\d+$/.test(q) || /[（(]\d+[)）]$/.test(q)) {
        return;
      }
      asked = q;
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch('/api/v1/regions?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (rows) {
            list.textContent = '';
            rows.slice(0, 30).forEach(function (r) {
              var option = document.createElement('option');
              option.value = (r.relative_name || r.name) + '（' + r.code + '）';
              list.appendChild(option);
            });
          })
          .catch(function () { /* offline: the field still takes a code */ });
      }, 200);
    });
  });
})();
