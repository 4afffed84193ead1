// APIG error answers: {"error_code","error_msg"} with the HTTP status APIG uses.

export class ApigError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApigError';
    this.status = status;
    this.code = code;
  }
}

const SEE_DOCS = '. Please refer to the support documentation';

/** APIG.2001: a required parameter is missing. */
export function missingParameter(name: string): ApigError {
  return new ApigError(
    400,
    'APIG.2001',
    `The request parameters must be specified,parameterName:${name}${SEE_DOCS}`,
  );
}

/** APIG.2012: a parameter has an invalid value. */
export function invalidParameter(name: string): ApigError {
  return new ApigError(
    400,
    'APIG.2012',
    `Invalid parameter value,parameterName:${name}${SEE_DOCS}`,
  );
}

export function certificateNotFound(id: string): ApigError {
  return new ApigError(404, 'APIG.3025', `The certificate does not exist;id:${id}`);
}

export function domainNotFound(domain: string): ApigError {
  return new ApigError(404, 'APIG.3020', `The URL domain does not exist;domain:${domain}`);
}

/** Inferred code (Huawei documents the refusal, not its code); the client names it too. */
export function certificateAttached(id: string): ApigError {
  return new ApigError(
    403,
    'APIG.3472',
    `The certificate cannot be deleted because it has been bound to domain names;id:${id}`,
  );
}

export function instanceNotFound(id: string): ApigError {
  return new ApigError(404, 'APIG.3030', `The instance does not exist;id:${id}`);
}

export function apiNotFound(): ApigError {
  return new ApigError(
    404,
    'APIGW.0101',
    'The API does not exist or has not been published in the environment',
  );
}

export function throttled(limit: number, period: 'second' | 'minute'): ApigError {
  return new ApigError(
    429,
    'APIGW.0308',
    `The throttling threshold has been reached: policy user over ratelimit,limit:${limit},time:1 ${period}`,
  );
}
