// The sandbox page: a resident's private chat with the bot, a deputy group's chat, the clock,
// all following the fake Bot API's feed of changes (server-sent events).
"use strict";

const boot = JSON.parse(document.getElementById("boot").textContent);
const texts = boot.texts;
const locale = document.documentElement.lang === "en" ? "en" : "zh_Hans";
Render.timeZone = boot.timezone;

async function call(path, payload, isForm) {
  const response = await fetch(path, {
    method: "POST",
    headers: isForm ? { "X-Sandbox-Locale": locale } : { "Content-Type": "application/json", "X-Sandbox-Locale": locale },
    body: isForm ? payload : JSON.stringify(payload),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    toast(answer.error || texts.failed.replace("{reason}", response.statusText), true);
    throw new Error(answer.error || response.statusText);
  }
  return answer;
}

let toastTimer = null;
function toast(text, isAlert) {
  const element = document.getElementById("toast");
  element.textContent = text;
  element.classList.toggle("alert", Boolean(isAlert));
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { element.hidden = true; }, isAlert ? 6000 : 3000);
}

// Presses wait for the bot's answer (a short notice, or an alert), as the apps show it. The
// answer may come over the feed before the press's call returns: it then waits a while here.
const pendingPresses = new Set();
const earlyAnswers = new Map();
const EARLY_ANSWER_MS = 30000;

function showAnswer(change) {
  if (change.text) toast(change.text, change.show_alert);
}

function answered(change) {
  if (pendingPresses.delete(change.query_id)) return showAnswer(change);
  earlyAnswers.set(change.query_id, change);
  setTimeout(() => earlyAnswers.delete(change.query_id), EARLY_ANSWER_MS);
}

function pressed(queryId) {
  const early = earlyAnswers.get(queryId);
  if (!early) return pendingPresses.add(queryId);
  earlyAnswers.delete(queryId);
  showAnswer(early);
}

// One chat as one person sees it; `thread` limits a forum to one topic (null: all).
class ChatView {
  constructor(container, options) {
    this.container = container;
    this.options = options;
    this.chatId = null;
    this.userId = null;
    this.thread = null;
    this.messages = new Map();
    this.topics = new Map();
    this.waiting = null;
  }

  // Changes that arrive while the chat's state is being fetched wait, and those newer than
  // the state are applied once it is in.
  async show(chatId, userId) {
    this.chatId = chatId;
    this.userId = userId;
    const waiting = (this.waiting = []);
    const response = await fetch(`/api/chats/${chatId}`);
    const state = await response.json();
    if (this.waiting !== waiting) return; // another chat was chosen meanwhile
    this.waiting = null;
    this.messages = new Map(state.messages.map((m) => [m.message_id, m]));
    this.topics = new Map(state.topics.map((t) => [t.message_thread_id, t]));
    if (this.options.onKeyboard) this.options.onKeyboard(state.reply_keyboard);
    if (this.options.onTopics) this.options.onTopics(this.topics);
    this.draw();
    for (const change of waiting) if (change.number > state.number) this.apply(change);
  }

  visible(message) {
    if (this.thread === null) return true;
    if (this.thread === 0) return !message.message_thread_id;
    return message.message_thread_id === this.thread;
  }

  draw() {
    this.container.replaceChildren();
    for (const message of this.messages.values()) {
      if (this.visible(message)) this.append(this.element(message), message);
    }
    this.container.scrollTop = this.container.scrollHeight;
  }

  // An album's items (one message each, sharing media_group_id) are drawn together, as one.
  append(element, message) {
    const last = this.container.lastElementChild;
    if (!message.media_group_id) {
      this.container.appendChild(element);
    } else if (last && last.classList.contains("album") && last.dataset.album === message.media_group_id) {
      last.appendChild(element);
    } else {
      const album = document.createElement("div");
      album.className = `album ${element.classList.contains("incoming") ? "incoming" : "outgoing"}`;
      album.dataset.album = message.media_group_id;
      album.appendChild(element);
      this.container.appendChild(album);
    }
  }

  element(message) {
    return Render.message(message, boot.bot_id, texts, {
      showSender: this.options.showSender,
      onPress: (button) => this.press(message, button),
      onReply: this.options.onReply,
    });
  }

  async press(message, button) {
    if (button.callback_data === undefined) return;
    const answer = await call(`/api/chats/${this.chatId}/presses`, {
      user_id: this.userId, message_id: message.message_id, data: button.callback_data,
    });
    pressed(answer.query_id);
  }

  apply(change) {
    if (change.chat_id !== this.chatId) return;
    if (this.waiting) {
      this.waiting.push(change);
      return;
    }
    if (change.kind === "message" || change.kind === "edited") {
      const message = change.message;
      const old = this.container.querySelector(`[data-message-id="${message.message_id}"]`);
      this.messages.set(message.message_id, message);
      if (!this.visible(message)) return;
      const element = this.element(message);
      const atBottom = this.container.scrollHeight - this.container.scrollTop - this.container.clientHeight < 120;
      if (old) old.replaceWith(element);
      else this.append(element, message);
      if (atBottom || !old) this.container.scrollTop = this.container.scrollHeight;
    } else if (change.kind === "deleted") {
      this.messages.delete(change.message_id);
      const old = this.container.querySelector(`[data-message-id="${change.message_id}"]`);
      if (old) old.remove();
    } else if (change.kind === "keyboard" && this.options.onKeyboard) {
      this.options.onKeyboard(change.reply_markup);
    } else if (change.kind === "topic") {
      if (change.topic) this.topics.set(change.message_thread_id, { ...change.topic, is_closed: change.closed });
      else this.topics.delete(change.message_thread_id);
      if (this.options.onTopics) this.options.onTopics(this.topics);
    }
  }
}

// --- the resident's side ---

const residentSelect = document.getElementById("resident");
const residentKeyboard = document.getElementById("resident-keyboard");
const locationPicker = document.getElementById("location-picker");
const resident = new ChatView(document.getElementById("resident-messages"), {
  showSender: false,
  onKeyboard: drawReplyKeyboard,
});

function residentOption(person) {
  const option = document.createElement("option");
  option.value = person.id;
  option.textContent = `${Render.fullName(person)} (${person.language_code})`;
  return option;
}

for (const person of boot.residents) residentSelect.appendChild(residentOption(person));
residentSelect.addEventListener("change", () => resident.show(Number(residentSelect.value), Number(residentSelect.value)));

function drawReplyKeyboard(markup) {
  residentKeyboard.replaceChildren();
  if (!markup) return;
  for (const row of markup.keyboard) {
    const line = document.createElement("div");
    line.className = "row";
    for (const raw of row) {
      const button = typeof raw === "string" ? { text: raw } : raw;
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.text;
      element.addEventListener("click", () => pressReplyButton(button, markup));
      line.appendChild(element);
    }
    residentKeyboard.appendChild(line);
  }
}

async function pressReplyButton(button, markup) {
  if (button.request_location) {
    locationPicker.hidden = false;
    return;
  }
  if (button.request_contact) {
    await shareContact();
    return;
  }
  await call(`/api/chats/${resident.chatId}/messages`, { user_id: resident.userId, text: button.text });
  if (markup.one_time_keyboard) residentKeyboard.replaceChildren();
}

locationPicker.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(locationPicker);
  await call(`/api/chats/${resident.chatId}/locations`, {
    user_id: resident.userId, latitude: form.get("latitude"), longitude: form.get("longitude"),
  });
  locationPicker.hidden = true;
});
// The demo city's places: picking one fills in its latitude and longitude.
const placeSelect = locationPicker.elements.place;
boot.places.forEach((place, index) => {
  const option = document.createElement("option");
  option.value = String(index);
  option.textContent = place.name;
  placeSelect.appendChild(option);
});
placeSelect.addEventListener("change", () => {
  const place = boot.places[Number(placeSelect.value)];
  if (placeSelect.value === "" || !place) return;
  locationPicker.elements.latitude.value = place.latitude;
  locationPicker.elements.longitude.value = place.longitude;
});
// Like the app's attachment menu: a location can be shared at any time, not only when asked.
document.getElementById("share-location").addEventListener("click", () => { locationPicker.hidden = false; });
// The resident's own phone number (the fake's user shares their own contact, never another's).
async function shareContact() {
  await call(`/api/chats/${resident.chatId}/contacts`, { user_id: resident.userId });
}
document.getElementById("share-contact").addEventListener("click", shareContact);
locationPicker.querySelector("[data-cancel]").addEventListener("click", () => { locationPicker.hidden = true; });

const residentComposer = document.getElementById("resident-composer");
residentComposer.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = residentComposer.elements.text;
  if (!input.value.trim()) return toast(texts.empty_message, true);
  await call(`/api/chats/${resident.chatId}/messages`, { user_id: resident.userId, text: input.value });
  input.value = "";
});

// One photo, or several chosen at once: an album, as the app sends them.
residentComposer.elements.photo.addEventListener("change", async (event) => {
  const files = Array.from(event.target.files);
  if (!files.length) return;
  const form = new FormData();
  form.append("user_id", resident.userId);
  for (const file of files) form.append("photo", file);
  form.append("caption", residentComposer.elements.text.value);
  await call(`/api/chats/${resident.chatId}/${files.length > 1 ? "albums" : "photos"}`, form, true);
  residentComposer.elements.text.value = "";
  event.target.value = "";
});

document.getElementById("new-resident").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const name = form.elements.name.value.trim();
  if (!name) return toast(texts.empty_name, true);
  const person = await call("/api/residents", { name, locale: form.elements.locale.value });
  residentSelect.appendChild(residentOption(person));
  residentSelect.value = person.id;
  form.elements.name.value = "";
  await resident.show(person.id, person.id);
});

// --- the deputy group's side ---

const groupSelect = document.getElementById("group");
const deputySelect = document.getElementById("deputy");
const topicSelect = document.getElementById("topic");
const topicLabel = document.getElementById("topic-label");
const replying = document.getElementById("group-replying");
let replyTo = null;

const group = new ChatView(document.getElementById("group-messages"), {
  showSender: true,
  onReply: (message) => {
    replyTo = message;
    replying.querySelector("span").textContent = Render.snippet(message);
    replying.hidden = false;
    document.querySelector('[data-testid="group-input"]').focus();
  },
  onTopics: drawTopics,
});

function drawTopics(topics) {
  const chosen = topicSelect.value;
  topicSelect.replaceChildren(new Option(texts.general_topic, "0"));
  for (const topic of topics.values()) {
    topicSelect.appendChild(new Option(`${topic.name}${topic.is_closed ? " 🔒" : ""}`, topic.message_thread_id));
  }
  if ([...topicSelect.options].some((o) => o.value === chosen)) topicSelect.value = chosen;
}

for (const chat of boot.groups) groupSelect.appendChild(new Option(chat.title, chat.id));

async function showGroup() {
  const chat = boot.groups.find((g) => g.id === Number(groupSelect.value));
  if (!chat) return;
  deputySelect.replaceChildren(...chat.members.map((p) => new Option(Render.fullName(p), p.id)));
  topicLabel.hidden = !chat.is_forum;
  group.thread = null;
  topicSelect.value = "0";
  document.getElementById("group-title").textContent = chat.title;
  cancelReply();
  await group.show(chat.id, Number(deputySelect.value));
}

groupSelect.addEventListener("change", showGroup);
deputySelect.addEventListener("change", () => { group.userId = Number(deputySelect.value); });
topicSelect.addEventListener("change", () => {
  group.thread = topicSelect.value === "0" ? null : Number(topicSelect.value);
  group.draw();
});

function cancelReply() {
  replyTo = null;
  replying.hidden = true;
}
replying.querySelector("[data-cancel]").addEventListener("click", cancelReply);

const groupComposer = document.getElementById("group-composer");
groupComposer.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = groupComposer.elements.text;
  if (!input.value.trim()) return toast(texts.empty_message, true);
  const payload = { user_id: group.userId, text: input.value };
  if (replyTo) payload.reply_to = replyTo.message_id;
  else if (group.thread) payload.thread_id = group.thread;
  await call(`/api/chats/${group.chatId}/messages`, payload);
  input.value = "";
  cancelReply();
});

// --- the clock and the language ---

const clock = document.getElementById("clock");
clock.textContent = boot.clock.shown;
for (const button of document.querySelectorAll("[data-move]")) {
  button.addEventListener("click", async () => {
    const moved = await call("/api/clock", { by: button.dataset.move, locale });
    clock.textContent = moved.shown;
  });
}
document.getElementById("language").addEventListener("change", (event) => {
  window.location.search = `?lang=${event.target.value}`;
});

// --- live: the fake's feed ---

function follow(after) {
  const events = new EventSource(`/api/events?after=${after}`);
  const offline = document.getElementById("offline");
  events.onopen = () => { offline.hidden = true; };
  events.onerror = () => { offline.hidden = false; };
  // The sandbox was started again: its feed counts from 1 again and this page's state is old.
  events.addEventListener("run", (event) => {
    if (event.data !== boot.run) window.location.reload();
  });
  events.onmessage = (event) => {
    const change = JSON.parse(event.data);
    if (change.kind === "callback_answer") {
      answered(change);
      return;
    }
    resident.apply(change);
    group.apply(change);
  };
}

(async () => {
  const start = await (await fetch(`/api/chats/${boot.residents[0].id}`)).json();
  await resident.show(boot.residents[0].id, boot.residents[0].id);
  if (boot.groups.length) await showGroup();
  else document.getElementById("group-title").textContent = texts.no_groups;
  follow(start.number);
  document.body.dataset.ready = "true";
})();
