/** Where the frame keeps the visitor's consent for the site it is embedded in. */
export interface ConsentMemory {
  remembered(): boolean;
  /** Keeps the consent; returns whether it could be kept beyond this visit. */
  remember(): boolean;
  forget(): void;
}

/** Consent for this visit only: where the browser gives a third-party frame no storage. */
export class VisitConsentMemory implements ConsentMemory {
  #given = false;
  remembered(): boolean {
    return this.#given;
  }
  remember(): boolean {
    this.#given = true;
    return false;
  }
  forget(): void {
    this.#given = false;
  }
}
