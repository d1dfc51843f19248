/** An error shaped like the AWS SDK v3's service exceptions, so code that inspects `name` and `$fault` treats it as one. */
export function sdkError(name: string, message: string, fault: 'client' | 'server' = 'client'): Error {
  const err = new Error(message) as Error & { $fault: string; $metadata: Record<string, unknown> };
  err.name = name;
  err.$fault = fault;
  err.$metadata = { httpStatusCode: name === 'AccessDeniedException' ? 403 : 400, attempts: 1 };
  return err;
}
