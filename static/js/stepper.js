// The stepper: Reset, Step back, Play/Pause, Step forward, the speed and the timeline
// scrubber, and their keys (→ ← Home, space). The player's timer runs while the state
// says `playing`, one step forward a beat.

import { $, setAttr, setDisabled, setText } from "./dom.js";
import { t } from "./i18n.js";
import { Player } from "./player.js";
import { stepView } from "./selectors.js";

export function mount({ store, actions }) {
  const player = new Player({
    onTick: () => {
      actions.tick();
      return store.get().playing;
    },
  });

  $("reset").addEventListener("click", () => actions.goTo(0));
  $("back").addEventListener("click", () => actions.stepBack());
  $("forward").addEventListener("click", () => actions.stepForward());
  $("play").addEventListener("click", () => actions.togglePlay());
  $("timeline").addEventListener("input", (e) => actions.goTo(Number(e.target.value)));
  $("speed").addEventListener("input", (e) => actions.setSpeed(Number(e.target.value)));

  // → ← Home and space step everywhere but where they edit text or pick from a list
  // (and in the tab bar, whose arrows move between tabs).
  document.addEventListener("keydown", (e) => {
    const tag = e.target.tagName;
    if (typing(e.target) || tag === "SELECT" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target.closest && e.target.closest(".tabs")) return;
    if (e.key === "ArrowRight") { e.preventDefault(); actions.stepForward(); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); actions.stepBack(); }
    else if (e.key === "Home") { e.preventDefault(); actions.goTo(0); }
    else if (e.key === " " && tag !== "BUTTON" && tag !== "INPUT") {
      e.preventDefault();
      actions.togglePlay();
    }
  });

  function typing(target) {
    if (target.isContentEditable || target.tagName === "TEXTAREA") return true;
    return target.tagName === "INPUT" && !["checkbox", "radio", "range", "button", "submit"]
      .includes(target.type);
  }

  function render(state) {
    const { lang } = state;
    const { timeline } = stepView(state);
    const total = timeline ? timeline.items.length : 0;
    const scrubber = $("timeline");
    if (scrubber.max !== String(total)) scrubber.max = String(total);
    if (scrubber.value !== String(state.step)) scrubber.value = String(state.step);
    setText($("position"), t(lang, "position", { k: state.step, n: total }));
    const play = $("play");
    setAttr(play, "aria-label", t(lang, state.playing ? "Pause" : "Play"));
    setText(play, state.playing ? "❚❚" : "▶");
    setDisabled($("back"), state.step <= 0);
    setDisabled($("reset"), state.step <= 0);
    setDisabled($("forward"), !timeline || state.step >= total);
    if ($("speed").value !== String(state.speed)) $("speed").value = String(state.speed);
    // the timer follows the state
    if (player.speed !== state.speed) player.setSpeed(state.speed);
    if (state.playing && !player.playing) player.play();
    else if (!state.playing && player.playing) player.pause();
  }

  store.subscribe(render);
  render(store.get());
}
