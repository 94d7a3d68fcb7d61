// Play, pause and step on a timer: owns nothing but the timer. The stepper starts and
// stops it as the page's state says (stepper.js).

export class Player {
  constructor({ onTick }) {
    this.onTick = onTick; // () => boolean: false when there is nothing more to play
    this.timer = null;
    this.speed = 4;
  }

  get playing() {
    return this.timer !== null;
  }

  setSpeed(stepsPerSecond) {
    this.speed = stepsPerSecond;
    if (this.playing) {
      this.pause();
      this.play();
    }
  }

  play() {
    if (this.playing) return;
    this.timer = setInterval(() => {
      if (!this.onTick()) this.pause();
    }, 1000 / this.speed);
  }

  pause() {
    if (!this.playing) return;
    clearInterval(this.timer);
    this.timer = null;
  }
}
