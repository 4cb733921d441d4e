/** Largest file of an upload or an edit, in bytes. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/** Largest `POST /v1/uploads` request: its one file and the multipart framing around it. */
export const MAX_UPLOAD_REQUEST_BYTES = MAX_UPLOAD_BYTES + 64 * 1024;

/**
 * Largest `POST /v1/images/edits` request, all files and fields together: room for several
 * large inputs, while a request of 16 full-size files is refused once 64 MB have arrived.
 */
export const MAX_EDIT_REQUEST_BYTES = 64 * 1024 * 1024;

/** Largest text field of a multipart request (a prompt is a few KB). */
export const MAX_MULTIPART_FIELD_BYTES = 64 * 1024;

/** Multipart requests read at once per process, by default (`GatewayOptions.uploadsInFlight`). */
export const DEFAULT_UPLOADS_IN_FLIGHT = 16;
