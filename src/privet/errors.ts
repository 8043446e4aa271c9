// Privet §4.6: every API error is a JSON object with HTTP 200 (real clients
// only act on the body of a 200; see GCP §e).
export type PrivetErrorName =
  | 'invalid_x_privet_token'
  | 'invalid_params'
  | 'invalid_action'
  | 'device_busy'
  | 'pending_user_action'
  | 'user_cancel'
  | 'confirmation_timeout'
  | 'device_config_error'
  | 'offline'
  | 'server_error'
  | 'access_denied'
  | 'invalid_ticket'
  | 'printer_busy'
  | 'printer_error'
  | 'invalid_print_job'
  | 'invalid_document_type'
  | 'invalid_document'
  | 'document_too_large';

export interface PrivetErrorBody {
  error: PrivetErrorName;
  description?: string;
  timeout?: number;
  server_api?: string;
  server_code?: number;
  server_http_code?: number;
}

export class PrivetError extends Error {
  constructor(
    override readonly name: PrivetErrorName,
    description?: string,
    readonly extra: Omit<PrivetErrorBody, 'error' | 'description'> = {},
  ) {
    super(description ?? name);
  }

  get body(): PrivetErrorBody {
    return { error: this.name, description: this.message, ...this.extra };
  }
}
