// Where the webhook's serving certificate and CA bundle come from, and how their changes reach the HTTPS
// server (reload) and the operator (re-patch caBundle). Two providers share this: SelfSigned and CertManager.
import type { Logger } from 'pino';
import type { KeyPair } from './pem.js';

/** What the webhook serves with, and what the API server must trust to call it. */
export interface WebhookCertificateMaterial {
  serving: KeyPair;
  /** The webhook configuration's `caBundle`: base64 of a PEM bundle (during a CA rotation, old and new CA). */
  caBundle: string;
}

/** Called after each change. Awaited, in registration order: the next step of a rotation waits for it. */
export type CertificateChangeListener = (material: WebhookCertificateMaterial) => void | Promise<void>;

function sameMaterial(a: WebhookCertificateMaterial | undefined, b: WebhookCertificateMaterial): boolean {
  return a?.caBundle === b.caBundle && a.serving.cert === b.serving.cert && a.serving.key === b.serving.key;
}

/** Keeps the current material, notifies listeners of changes, and refreshes on a timer. */
export abstract class CertificateSource {
  #current: WebhookCertificateMaterial | undefined;
  readonly #listeners: CertificateChangeListener[] = [];
  #timer: NodeJS.Timeout | undefined;
  #refreshing = false;

  protected constructor(protected readonly logger: Logger) {}

  /** Reads (and for SelfSigned, creates or rotates) the material; returns what is current afterwards. */
  abstract refresh(now?: Date): Promise<WebhookCertificateMaterial>;

  /** The last material published, or undefined before the first successful refresh. */
  current(): WebhookCertificateMaterial | undefined {
    return this.#current;
  }

  onChange(listener: CertificateChangeListener): void {
    this.#listeners.push(listener);
  }

  /** Makes `material` current and, if it differs from the previous one, awaits every listener. */
  protected async publish(material: WebhookCertificateMaterial): Promise<void> {
    if (sameMaterial(this.#current, material)) return;
    this.#current = material;
    for (const listener of this.#listeners) await listener(material);
  }

  /**
   * Refreshes now and then every `intervalMs` until stop(). The first refresh's error is thrown (the
   * webhook cannot start without a certificate); later ones are logged and retried at the next tick.
   */
  async start(intervalMs: number): Promise<WebhookCertificateMaterial> {
    const material = await this.refresh();
    this.#timer = setInterval(() => {
      if (this.#refreshing) return; // a slow refresh (API server down) must not pile up behind itself
      this.#refreshing = true;
      this.refresh()
        .catch((error: unknown) => this.logger.error({ err: error }, 'Failed to refresh webhook certificates'))
        .finally(() => (this.#refreshing = false));
    }, intervalMs);
    this.#timer.unref();
    return material;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
