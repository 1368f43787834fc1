/** OData error replies as Business Central writes them: `{"error":{"code":"…","message":"…  CorrelationId:  …"}}`. */
import { randomUUID } from "node:crypto";
import type { Reply } from "../http.ts";

/**
 * An OData error reply; BC appends a correlation id to every message.
 *
 * @example
 * return odataError(404, "BadRequest_NotFound", "The journal does not exist.");
 */
export function odataError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return {
    status,
    headers,
    body: { error: { code, message: `${message}  CorrelationId:  ${randomUUID()}.` } },
  };
}
