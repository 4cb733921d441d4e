import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import { HttpProblem } from '../http-problem';
import { bodyReader, type WithRawBody } from './body-reader.middleware';

type FakeRequest = PassThrough & Partial<Request> & WithRawBody & { headers: Record<string, string>; complete?: boolean };

function fakeRequest(headers: Record<string, string>, url = '/v1/generations'): FakeRequest {
  const stream = new PassThrough() as FakeRequest;
  return Object.assign(stream, { headers, method: 'POST', originalUrl: url, socket: new PassThrough(), complete: false });
}

/** Runs the reader on `request` and resolves with what it passed to `next`. */
function run(request: FakeRequest): { response: Record<string, string>; outcome: Promise<unknown> } {
  const response: Record<string, string> = {};
  const fakeResponse = { setHeader: (name: string, value: string) => (response[name.toLowerCase()] = value) } as unknown as Response;
  const outcome = new Promise((resolve) => bodyReader()(request as unknown as Request & WithRawBody, fakeResponse, resolve));
  return { response, outcome };
}

describe('bodyReader', () => {
  it('parses a JSON body and keeps its bytes', async () => {
    const request = fakeRequest({ 'content-type': 'application/json; charset=utf-8', 'content-length': '14' });
    const { outcome } = run(request);
    request.end('{"prompt":"x"}');
    expect(await outcome).toBeUndefined();
    expect(request.body).toEqual({ prompt: 'x' });
    expect(request.rawBody?.toString()).toBe('{"prompt":"x"}');
  });

  it('refuses a declared length over the limit from the header, reads nothing and closes the connection', async () => {
    const request = fakeRequest({ 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) });
    const { response, outcome } = run(request);
    const error = await outcome;
    expect(error).toBeInstanceOf(HttpProblem);
    expect(error).toMatchObject({ status: 413, code: 'payload_too_large', extensions: { limit_bytes: 100 * 1024 } });
    expect(response['connection']).toBe('close');
    expect(request.readableFlowing).not.toBe(true);
  });

  it('gives the provider callback route its larger limit', async () => {
    const request = fakeRequest({ 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) }, '/webhooks/providers/replicate?task=t');
    const { outcome } = run(request);
    request.end(Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(2 * 1024 * 1024 - 8, 'A'), Buffer.from('"}')]));
    expect(await outcome).toBeUndefined();
    expect(request.rawBody).toHaveLength(2 * 1024 * 1024);
  });

  it('refuses a compressed body (415) without inflating it', async () => {
    const request = fakeRequest({ 'content-type': 'application/json', 'content-encoding': 'gzip', 'transfer-encoding': 'chunked' });
    expect(await run(request).outcome).toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });

  it('leaves multipart bodies and bodiless requests to the route', async () => {
    const multipart = fakeRequest({ 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(100 * 1024 * 1024) });
    expect(await run(multipart).outcome).toBeUndefined();
    expect(multipart.rawBody).toBeUndefined();
    const bodiless = fakeRequest({});
    expect(await run(bodiless).outcome).toBeUndefined();
    expect(bodiless.body).toBeUndefined();
  });

  it('keeps the bytes of a body that is not JSON without parsing it', async () => {
    const request = fakeRequest({ 'content-type': 'text/plain', 'content-length': '5' });
    const { outcome } = run(request);
    request.end('[[[[[');
    expect(await outcome).toBeUndefined();
    expect(request.body).toBeUndefined();
    expect(request.rawBody?.toString()).toBe('[[[[[');
  });
});
