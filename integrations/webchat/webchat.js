// The web chat page: sends the visitor's messages to POST message, draws the assistant's
// replies, and shows the conversation so far (GET history) on load. Every text is put in
// the page as text (never as HTML); only http(s) addresses become links or images.
(function () {
  "use strict";

  var STRINGS = {
    en: {
      title: "Accounts receivable assistant", placeholder: "Type your message",
      send: "Send", typing: "The assistant is typing…", document: "Document", team: "AR team",
      unreachable: "Cannot reach the assistant. Check your connection and try again.",
      tooLong: "Your message is too long: at most 2,000 characters. Please shorten it.",
      rejected: "That message could not be sent. Please check it and try again.",
      failed: "The assistant could not answer just now. Please try again."
    },
    es: {
      title: "Asistente de cuentas por cobrar", placeholder: "Escriba su mensaje",
      send: "Enviar", typing: "El asistente está escribiendo…", document: "Documento", team: "equipo de cobros",
      unreachable: "No se puede contactar con el asistente. Compruebe su conexión e inténtelo de nuevo.",
      tooLong: "Su mensaje es demasiado largo: 2000 caracteres como máximo. Acórtelo, por favor.",
      rejected: "No se pudo enviar ese mensaje. Revíselo e inténtelo de nuevo.",
      failed: "El asistente no ha podido responder ahora. Inténtelo de nuevo."
    },
    fr: {
      title: "Assistant comptes clients", placeholder: "Écrivez votre message",
      send: "Envoyer", typing: "L'assistant écrit…", document: "Document", team: "service comptabilité clients",
      unreachable: "Impossible de joindre l'assistant. Vérifiez votre connexion et réessayez.",
      tooLong: "Votre message est trop long : 2 000 caractères au maximum. Veuillez le raccourcir.",
      rejected: "Ce message n'a pas pu être envoyé. Vérifiez-le et réessayez.",
      failed: "L'assistant n'a pas pu répondre pour le moment. Veuillez réessayer."
    },
    de: {
      title: "Assistent Debitorenbuchhaltung", placeholder: "Nachricht eingeben",
      send: "Senden", typing: "Der Assistent schreibt…", document: "Dokument", team: "Debitorenteam",
      unreachable: "Der Assistent ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
      tooLong: "Ihre Nachricht ist zu lang: höchstens 2.000 Zeichen. Bitte kürzen Sie sie.",
      rejected: "Diese Nachricht konnte nicht gesendet werden. Bitte prüfen Sie sie und versuchen Sie es erneut.",
      failed: "Der Assistent konnte gerade nicht antworten. Bitte versuchen Sie es erneut."
    },
    pt: {
      title: "Assistente de contas a receber", placeholder: "Digite sua mensagem",
      send: "Enviar", typing: "O assistente está digitando…", document: "Documento", team: "equipe de contas a receber",
      unreachable: "Não foi possível contatar o assistente. Verifique sua conexão e tente novamente.",
      tooLong: "Sua mensagem é longa demais: no máximo 2.000 caracteres. Encurte-a, por favor.",
      rejected: "Não foi possível enviar essa mensagem. Verifique-a e tente novamente.",
      failed: "O assistente não conseguiu responder agora. Tente novamente."
    }
  };

  function pageLanguage() {
    var wanted = (navigator.languages && navigator.languages.length)
      ? navigator.languages : [navigator.language || "en"];
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").toLowerCase().split("-")[0];
      if (STRINGS[code]) { return code; }
    }
    return "en";
  }

  var LANG = pageLanguage();
  var T = STRINGS[LANG];
  var URL_IN_TEXT = /https?:\/\/[^\s<>"]+/g;
  var TRAILING = /[.,;:!?'")\]]+$/;

  var log, typing, errorLine, form, box, sendButton;
  var busy = false;
  // How many history entries the page shows: a poll draws only what came after, such as
  // a reply from a person on the AR team, without a reload.
  var shown = 0;
  var POLL_MS = 3000;

  // --- drawing ---------------------------------------------------------------------------

  function safeUrl(value) {
    try {
      var url = new URL(String(value), document.baseURI);
      return (url.protocol === "http:" || url.protocol === "https:") ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(href, label) {
    var a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = label;
    return a;
  }

  function appendLine(parent, line) {
    var last = 0, match;
    URL_IN_TEXT.lastIndex = 0;
    while ((match = URL_IN_TEXT.exec(line)) !== null) {
      var found = match[0].replace(TRAILING, "");
      var href = safeUrl(found);
      if (!href || !found) { continue; }
      parent.appendChild(document.createTextNode(line.slice(last, match.index)));
      parent.appendChild(link(href, found));
      last = match.index + found.length;
      URL_IN_TEXT.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(line.slice(last)));
  }

  function appendText(parent, text) {
    String(text).split(/\r\n|\r|\n/).forEach(function (line, i) {
      if (i > 0) { parent.appendChild(document.createElement("br")); }
      appendLine(parent, line);
    });
  }

  function documentName(href) {
    var parts = new URL(href).pathname.split("/");
    var name = parts[parts.length - 1];
    try { name = decodeURIComponent(name); } catch (e) { /* keep it as it is */ }
    return name || T.document;
  }

  function appendMedia(item, message) {
    var image = message.image && safeUrl(message.image);
    if (image) {
      var img = document.createElement("img");
      img.src = image;
      img.alt = "";
      item.appendChild(link(image, "")).appendChild(img);
    }
    var doc = message.attachment && safeUrl(message.attachment);
    if (doc) {
      var a = link(doc, documentName(doc));
      a.className = "document";
      item.appendChild(document.createElement("div")).appendChild(a);
    }
  }

  function appendButtons(item, buttons) {
    var row = document.createElement("div");
    row.className = "buttons";
    buttons.forEach(function (button) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = button.title;
      b.addEventListener("click", function () {
        if (!busy) { send(button.payload, button.title); }
      });
      row.appendChild(b);
    });
    item.appendChild(row);
  }

  function addEntry(entry) {
    var item = document.createElement("li");
    item.className = "msg " + (entry.sender === "user" ? "user"
      : entry.sender === "collector" ? "bot collector" : "bot");
    if (entry.sender === "collector" && entry.name) {
      var who = document.createElement("div");
      who.className = "name";
      who.textContent = entry.name + " · " + T.team;
      item.appendChild(who);
    }
    if (entry.text) {
      var body = document.createElement("div");
      body.className = "text";
      appendText(body, entry.text);
      item.appendChild(body);
    }
    appendMedia(item, entry);
    if (entry.buttons && entry.buttons.length) {
      appendButtons(item, entry.buttons);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  // Only the latest choices can be answered: the buttons of every other row are greyed out.
  function retireButtons(keep) {
    var rows = log.querySelectorAll(".buttons");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i] === keep) { continue; }
      rows[i].querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }
  }

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    sendButton.disabled = value;
    if (value) { log.scrollTop = log.scrollHeight; }
  }

  function showError(text) {
    errorLine.textContent = text || "";
    errorLine.hidden = !text;
  }

  function errorFor(status) {
    if (status === 413) { return T.tooLong; }
    if (status === 400) { return T.rejected; }
    return T.failed;
  }

  // --- talking to the server ---------------------------------------------------------------

  function post(body) {
    return fetch("message", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function send(text, title) {
    if (busy) { return; }
    showError("");
    retireButtons(null);
    var pending = addEntry({ sender: "user", text: title || text });
    setBusy(true);
    var body = title ? { text: text, display: title } : { text: text };
    post(body).then(function (result) {
      if (!result.ok) { throw result.status; }
      shown += 1 + (result.data.messages || []).length;
      (result.data.messages || []).forEach(function (message) {
        message.sender = "bot";
        addEntry(message);
      });
    }).catch(function (status) {
      // Not sent: take the message back so the visitor can change or resend it.
      pending.remove();
      if (!title && !box.value) { box.value = text; }
      showError(typeof status === "number" ? errorFor(status) : T.unreachable);
    }).then(function () {
      setBusy(false);
      box.focus();
    });
  }

  function loadHistory() {
    fetch("history", { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw response.status; }
      return response.json();
    }).then(function (data) {
      (data.messages || []).forEach(addEntry);
      shown = (data.messages || []).length;
      var rows = log.querySelectorAll(".buttons");
      retireButtons(rows[rows.length - 1]);
    }).catch(function () {
      showError(T.unreachable);
    });
  }

  function poll() {
    if (busy) { return; }
    fetch("history", { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.json() : { messages: null };
    }).then(function (data) {
      var messages = data.messages;
      if (busy || !messages || messages.length <= shown) { return; }
      messages.slice(shown).forEach(addEntry);
      shown = messages.length;
    }).catch(function () { /* the next poll tries again */ });
  }

  // --- the page ----------------------------------------------------------------------------

  function start() {
    log = document.getElementById("log");
    typing = document.getElementById("typing");
    errorLine = document.getElementById("error");
    form = document.getElementById("composer");
    box = document.getElementById("text");
    sendButton = document.getElementById("send");

    document.documentElement.lang = LANG;
    document.title = T.title;
    document.getElementById("title").textContent = T.title;
    document.getElementById("typing-label").textContent = T.typing;
    log.setAttribute("aria-label", T.title);
    box.placeholder = T.placeholder;
    box.setAttribute("aria-label", T.placeholder);
    sendButton.textContent = T.send;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = box.value;
      if (!text.trim() || busy) { return; }
      box.value = "";
      send(text);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    loadHistory();
    window.setInterval(poll, POLL_MS);
    box.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
