import * as restate from "@restatedev/restate-sdk";

/**
 * A handler's failure that Restate does not retry, read by the client as aegis's error
 * code: its message is "code: message" (client.ts), its status the ingress's HTTP status.
 */
export function terminal(code: string, message: string, status: number): restate.TerminalError {
  return new restate.TerminalError(`${code}: ${message}`, { errorCode: status });
}
