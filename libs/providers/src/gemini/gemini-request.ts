import type { ProviderSubmitRequest } from '../image-provider';

/**
 * The `generateContent` body for one image: the prompt, then every input and reference image
 * as `inlineData` parts of the same user turn (Gemini treats them alike).
 */
export function geminiRequestBody(request: ProviderSubmitRequest) {
  // Gemini has no negative prompt field; it follows an instruction in the text well enough.
  const text = request.negativePrompt ? `${request.prompt}\n\nAvoid: ${request.negativePrompt}` : request.prompt;
  const images = [...request.inputImages, ...request.referenceImages].map((image) => ({
    inlineData: { mimeType: image.contentType, data: image.bytes.toString('base64') },
  }));
  return {
    contents: [{ role: 'user', parts: [{ text }, ...images] }],
    generationConfig: {
      // Every image model accepts TEXT+IMAGE (some refuse IMAGE alone); text parts are ignored.
      responseModalities: ['TEXT', 'IMAGE'],
      ...(request.aspectRatio ? { imageConfig: { aspectRatio: request.aspectRatio } } : {}),
    },
  };
}
