/* The refund form, made kinder by the phone: a photo of a receipt too large to send
   (over 5 MB) or in a format WeCare does not take (HEIC, WebP…) becomes a JPEG of at
   most 2000 px a side, still easy to read, before it leaves; a file still too large
   says so at once instead of after a long upload. The form works without this. */
(function () {
  "use strict";
  var SIDE = 2000;
  var TAKEN = /^(image\/jpeg|image\/png|application\/pdf)$/;

  function asJpeg(file) {
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { if (blob) resolve(blob); else reject(); }, "image/jpeg", 0.85);
      });
    }).then(function (blob) {
      var name = (file.name || "receipt").replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, { type: "image/jpeg" });
    });
  }

  function watch(input) {
    var max = parseInt(input.dataset.maxBytes, 10);
    var status = document.getElementById(input.dataset.status);
    var say = function (text) { if (status) status.textContent = text || ""; };
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      say("");
      if (!file || (file.size <= max && TAKEN.test(file.type))) return;
      var image = /^image\//.test(file.type);
      if (!image || !window.createImageBitmap || !window.DataTransfer) {
        if (file.size > max) { input.value = ""; say(input.dataset.tooLarge); }
        return;
      }
      say(input.dataset.shrinking);
      asJpeg(file).then(function (small) {
        if (small.size > max) throw new Error("still too large");
        var box = new DataTransfer();
        box.items.add(small);
        input.files = box.files;
        say(input.dataset.shrunk);
      }).catch(function () {
        input.value = "";
        say(input.dataset.tooLarge);
      });
    });
  }

  function ready() {
    document.querySelectorAll("input[type=file][data-max-bytes]").forEach(watch);
  }
  if (document.readyState !== "loading") ready(); else document.addEventListener("DOMContentLoaded", ready);
})();
