// Draws Telegram messages as the apps do: text with its entities (Telegram's HTML subset),
// photos, documents, locations, contacts, stickers, service messages, replies, and inline
// keyboards. Entity offsets count UTF-16 code units, as JavaScript strings do.
"use strict";

const Render = (() => {
  const escapeHtml = (text) =>
    text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  const safeUrl = (url) => (/^(https?:|tg:|mailto:)/i.test(url) ? url : "#");

  function wrap(entity, inner, raw) {
    switch (entity.type) {
      case "bold": return `<b>${inner}</b>`;
      case "italic": return `<i>${inner}</i>`;
      case "underline": return `<u>${inner}</u>`;
      case "strikethrough": return `<s>${inner}</s>`;
      case "spoiler": return `<span class="spoiler" onclick="this.classList.add('shown')">${inner}</span>`;
      case "code": return `<code>${inner}</code>`;
      case "pre": return `<pre><code>${inner}</code></pre>`;
      case "blockquote": return `<blockquote>${inner}</blockquote>`;
      case "expandable_blockquote": return `<blockquote class="expandable">${inner}</blockquote>`;
      case "text_link":
        return `<a href="${escapeHtml(safeUrl(entity.url))}" target="_blank" rel="noopener">${inner}</a>`;
      case "url": {
        const href = /^[a-z]+:/i.test(raw) ? raw : `https://${raw}`;
        return `<a href="${escapeHtml(safeUrl(href))}" target="_blank" rel="noopener">${inner}</a>`;
      }
      case "email": return `<a href="mailto:${escapeHtml(raw)}">${inner}</a>`;
      case "mention": case "hashtag": case "cashtag": case "bot_command":
      case "text_mention": case "phone_number":
        return `<span class="link">${inner}</span>`;
      default: return inner;
    }
  }

  // Entities nest (Telegram sends them sorted by offset); each is drawn around its inner ones.
  function formatted(text, entities) {
    const sorted = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
    function build(start, end, list) {
      let html = "";
      let position = start;
      let i = 0;
      while (i < list.length) {
        const entity = list[i];
        const from = Math.max(entity.offset, position);
        const to = Math.min(entity.offset + entity.length, end);
        const inner = [];
        let j = i + 1;
        while (j < list.length && list[j].offset < to) inner.push(list[j++]);
        html += escapeHtml(text.slice(position, from));
        html += wrap(entity, build(from, to, inner), text.slice(from, to));
        position = to;
        i = j;
      }
      return html + escapeHtml(text.slice(position, end));
    }
    return build(0, text.length, sorted);
  }

  // As the bot writes names (bot/text/render.py person_name): Chinese names family name first
  // with no space (李小红), other names as given ("Anna Smith").
  const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  function fullName(user) {
    const given = user.first_name || "";
    const family = user.last_name;
    if (!family) return given;
    if (HAN.test(given) || HAN.test(family)) return family + given;
    return `${given} ${family}`;
  }

  function serviceText(message, texts) {
    if (message.forum_topic_created) return texts.topic_created.replace("{name}", message.forum_topic_created.name);
    if (message.forum_topic_edited) return texts.topic_edited.replace("{name}", message.forum_topic_edited.name || "");
    if (message.forum_topic_closed) return texts.topic_closed;
    if (message.forum_topic_reopened) return texts.topic_reopened;
    return null;
  }

  function snippet(message) {
    const text = message.text || message.caption || "";
    if (text) return text.split("\n")[0].slice(0, 80);
    if (message.photo) return "🖼";
    if (message.document) return `📄 ${message.document.file_name || ""}`;
    if (message.location) return "📍";
    if (message.voice) return "🎤";
    if (message.video || message.video_note) return "🎬";
    if (message.contact) return "👤";
    return "…";
  }

  // The body of a message: media first, then its text or caption.
  function body(message, texts) {
    const parts = [];
    if (message.photo) {
      const size = message.photo[message.photo.length - 1];
      parts.push(`<img class="photo" alt="" src="/files/${encodeURIComponent(size.file_id)}">`);
    }
    if (message.document) {
      const doc = message.document;
      parts.push(`<a class="document" href="/files/${encodeURIComponent(doc.file_id)}" target="_blank">📄 ${escapeHtml(doc.file_name || doc.file_id)}</a>`);
    }
    for (const [kind, icon] of [["voice", "🎤"], ["video", "🎬"], ["video_note", "⏺"], ["audio", "🎵"]]) {
      const media = message[kind];
      if (media) parts.push(`<a class="media" href="/files/${encodeURIComponent(media.file_id)}" target="_blank">${icon} ${escapeHtml(media.file_name || "")} ${media.duration || 0}″</a>`);
    }
    if (message.location) {
      const { latitude, longitude } = message.location;
      parts.push(`<div class="location">📍 ${latitude.toFixed(5)}, ${longitude.toFixed(5)}</div>`);
    }
    if (message.venue) parts.push(`<div class="location">🏢 ${escapeHtml(message.venue.title)} — ${escapeHtml(message.venue.address)}</div>`);
    if (message.contact) {
      const contact = message.contact;
      parts.push(`<div class="contact">👤 ${escapeHtml(fullName(contact))} ${escapeHtml(contact.phone_number)}</div>`);
    }
    if (message.sticker) parts.push(`<div class="sticker">${escapeHtml(message.sticker.emoji || "🖼")}</div>`);
    if (message.text !== undefined) parts.push(`<div class="text">${formatted(message.text, message.entities)}</div>`);
    if (message.caption !== undefined) parts.push(`<div class="text">${formatted(message.caption, message.caption_entities)}</div>`);
    if (!parts.length) parts.push(`<div class="text muted">${escapeHtml(texts.unsupported)}</div>`);
    return parts.join("");
  }

  // One message as an element; `options.showSender` in groups, `options.onPress(button)` for
  // inline buttons, `options.onReply(message)` for the reply action.
  function message(message, botId, texts, options) {
    const element = document.createElement("div");
    element.dataset.messageId = message.message_id;
    if (message.message_thread_id) element.dataset.threadId = message.message_thread_id;
    if (message.media_group_id) element.dataset.album = message.media_group_id;
    const service = serviceText(message, texts);
    if (service !== null) {
      element.className = "message service";
      element.textContent = service;
      return element;
    }
    const fromBot = message.from && message.from.id === botId;
    element.className = `message ${fromBot ? "incoming" : "outgoing"}`;
    let html = "";
    if (options.showSender && message.from) html += `<div class="sender">${escapeHtml(fullName(message.from))}</div>`;
    const replied = message.reply_to_message;
    if (replied && !serviceText(replied, texts) && replied.message_id !== message.message_thread_id) {
      html += `<div class="quote">${escapeHtml(snippet(replied))}</div>`;
    }
    html += body(message, texts);
    html += `<div class="meta">${message.edit_date ? escapeHtml(texts.edited) + " · " : ""}${time(message.edit_date || message.date)}</div>`;
    element.innerHTML = html;
    if (options.onReply) {
      const reply = document.createElement("button");
      reply.type = "button";
      reply.className = "reply-action";
      reply.textContent = texts.reply;
      reply.addEventListener("click", () => options.onReply(message));
      element.querySelector(".meta").prepend(reply);
    }
    const keyboard = message.reply_markup && message.reply_markup.inline_keyboard;
    if (keyboard) element.appendChild(inlineKeyboard(keyboard, options.onPress));
    return element;
  }

  function inlineKeyboard(rows, onPress) {
    const keyboard = document.createElement("div");
    keyboard.className = "inline-keyboard";
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "row";
      for (const button of row) {
        const element = document.createElement(button.url ? "a" : "button");
        element.textContent = button.text;
        if (button.url) {
          element.href = safeUrl(button.url);
          element.target = "_blank";
          element.rel = "noopener";
        } else {
          element.type = "button";
          element.addEventListener("click", () => onPress(button));
        }
        line.appendChild(element);
      }
      keyboard.appendChild(line);
    }
    return keyboard;
  }

  const time = (seconds) => {
    const date = new Date(seconds * 1000);
    const zone = Render.timeZone || undefined; // the sandbox's time zone, as the bot shows times
    return date.toLocaleString(document.documentElement.lang, {
      month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zone,
    });
  };

  return { formatted, message, escapeHtml, fullName, snippet };
})();
