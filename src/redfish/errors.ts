// Redfish errors: one class, its Base registry message id and arguments as fields, turned into
// the wire's error body (`error` with `@Message.ExtendedInfo`) in one place, redfishError().

/** The Base message registry version whose ids pxevirt sends. */
export const BASE_REGISTRY = 'Base.1.15';

/** The Base registry's messages pxevirt uses: its text (%1… are the arguments), resolution and status. */
const MESSAGES = {
  ResourceNotFound: { status: 404, text: "The requested resource of type %1 named '%2' was not found.", resolution: 'Provide a valid resource identifier and resubmit the request.' },
  ActionParameterValueNotInList: { status: 400, text: "The value '%1' for the parameter %2 in the action %3 is not in the list of acceptable values.", resolution: 'Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.' },
  ActionParameterMissing: { status: 400, text: 'The action %1 requires the parameter %2 to be present in the request body.', resolution: 'Supply the action with the required parameter in the request body when the request is resubmitted.' },
  PropertyValueNotInList: { status: 400, text: "The value '%1' for the property %2 is not in the list of acceptable values.", resolution: 'Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.' },
  PropertyValueTypeError: { status: 400, text: "The value '%1' for the property %2 is of a different type than the property can accept.", resolution: 'Correct the value for the property in the request body and resubmit the request if the operation failed.' },
  PropertyUnknown: { status: 400, text: 'The property %1 is not in the list of valid properties for the resource.', resolution: 'Remove the unknown property from the request body and resubmit the request if the operation failed.' },
  PropertyNotWritable: { status: 400, text: 'The property %1 is a read-only property and cannot be assigned a value.', resolution: 'Remove the property from the request body and resubmit the request if the operation failed.' },
  ActionParameterValueFormatError: { status: 400, text: "The value '%1' for the parameter %2 in the action %3 is of a different format than the parameter can accept.", resolution: 'Correct the value for the parameter in the request body and resubmit the request if the operation failed.' },
  CouldNotEstablishConnection: { status: 400, text: "The service failed to establish a connection with the URI '%1'.", resolution: 'Ensure that the URI contains a valid and reachable node name, protocol information and other URI components.' },
  ResourceAtUriInUnknownFormat: { status: 400, text: "The resource at '%1' is in a format not recognized by the service.", resolution: 'Place an image or resource or file that is recognized by the service at the URI.' },
  ServiceTemporarilyUnavailable: { status: 429, text: 'The service is temporarily unavailable.  Retry in %1 seconds.', resolution: 'Wait for the indicated retry duration and retry the operation.' },
  MalformedJSON: { status: 400, text: 'The request body submitted was malformed JSON and could not be parsed by the receiving service.', resolution: 'Ensure that the request body is valid JSON and resubmit the request.' },
  CreateFailedMissingReqProperties: { status: 400, text: 'The create operation failed because the required property %1 was missing from the request.', resolution: 'Correct the body to include the required property with a valid value and resubmit the request if the operation failed.' },
  ActionNotSupported: { status: 400, text: 'The action %1 is not supported by the resource.', resolution: 'The action supplied cannot be resubmitted to the implementation. Perhaps the action was invalid, the wrong resource was the target or the implementation documentation may be of assistance.' },
  OperationNotAllowed: { status: 405, text: 'The HTTP method is not allowed on this resource.', resolution: 'None.' },
  NoValidSession: { status: 401, text: 'There is no valid session established with the implementation.', resolution: 'Establish a session before attempting any operations.' },
  InsufficientPrivilege: { status: 403, text: 'There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.', resolution: 'Either abandon the operation or change the associated access rights and resubmit the request if the operation failed.' },
  ResourceStateConflict: { status: 409, text: '%1', resolution: 'Wait for the system to reach the required state, or choose another action, and resubmit the request.' },
  // Not an error: a 200's note that the change reaches the running system only after a reset.
  ResetRequired: { status: 200, text: "In order to complete the operation, a component reset is required with the Reset action URI '%1' and ResetType '%2'.", resolution: 'Perform the required Reset action on the specified component.' },
  InternalError: { status: 500, text: 'The request failed due to an internal service error.  The service is still operational.', resolution: 'Resubmit the request.  If the problem persists, consider resetting the service.' },
} as const;

export type MessageId = keyof typeof MESSAGES;

/** A request Redfish refuses: the Base registry message and its arguments; `detail` says more (field, expected, found). */
export class RedfishError extends Error {
  readonly status: number;
  constructor(
    readonly messageId: MessageId,
    readonly args: readonly string[],
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail ?? fill(MESSAGES[messageId].text, args), options);
    this.name = 'RedfishError';
    this.status = MESSAGES[messageId].status;
  }
}

const fill = (text: string, args: readonly string[]): string => text.replace(/%(\d)/g, (_, n: string) => args[Number(n) - 1] ?? '');

/**
 * The error body. ResourceStateConflict is not in Base: its id says GeneralError (what Base has
 * for "see Resolution") with the conflict's words as the message.
 */
export function errorBody(err: RedfishError): Record<string, unknown> {
  const info = messageInfo(err.messageId, err.args, err.detail);
  return { error: { code: info.MessageId, message: info.Message, '@Message.ExtendedInfo': [info] } };
}

/** One `@Message.ExtendedInfo` entry of the Base registry. */
export function messageInfo(messageId: MessageId, args: readonly string[], detail?: string): { MessageId: string; Message: string } & Record<string, unknown> {
  const m = MESSAGES[messageId];
  const message = fill(m.text, args);
  const severity = m.status >= 500 ? 'Critical' : 'Warning';
  return {
    '@odata.type': '#Message.v1_1_1.Message',
    MessageId: `${BASE_REGISTRY}.${messageId === 'ResourceStateConflict' ? 'GeneralError' : messageId}`,
    Message: detail && detail !== message ? `${message} ${detail}` : message,
    MessageArgs: [...args],
    MessageSeverity: severity,
    Severity: severity,
    Resolution: m.resolution,
  };
}
