// Highlights a server's arcs, labels and rows while the pointer is over any of them; a click on the
// ring scrolls to the server's row. The page reads the same without it.
(function () {
  'use strict';
  var marked = [];
  function mark(id) {
    marked.forEach(function (element) { element.classList.remove('focus'); });
    marked = id === null ? []
        : Array.prototype.slice.call(document.querySelectorAll('[data-server="' + id + '"]'));
    marked.forEach(function (element) { element.classList.add('focus'); });
    document.body.classList.toggle('focusing', id !== null);
  }
  document.addEventListener('mouseover', function (event) {
    var target = event.target.closest ? event.target.closest('[data-server]') : null;
    mark(target ? target.getAttribute('data-server') : null);
  });
  document.addEventListener('click', function (event) {
    var target = event.target.closest ? event.target.closest('#ring [data-server]') : null;
    var row = target ? document.getElementById('server-' + target.getAttribute('data-server')) : null;
    if (row) {
      row.scrollIntoView({ block: 'center' });
    }
  });
})();
