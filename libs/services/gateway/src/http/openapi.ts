import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** Where the interactive docs and the raw document are served. */
export const OPENAPI_PATHS = { ui: 'docs', json: 'docs/json', yaml: 'docs/yaml' } as const;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

type Schema = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

const PROBLEM_SCHEMA: Schema = {
  type: 'object',
  description: 'RFC 7807 problem details; `code` is stable, `errors` lists fields on `invalid_request`.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'https://darkroom.dev/problems/invalid_request' },
    title: { type: 'string', example: 'Bad Request' },
    status: { type: 'integer', example: 400 },
    detail: { type: 'string' },
    code: { type: 'string', example: 'invalid_request' },
    request_id: { type: 'string', description: 'The X-Request-Id of the request.' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/** The first path segment after `/v1` or the root names an untagged operation's group. */
function tagOf(path: string): string {
  const segments = path.split('/').filter(Boolean);
  const [first, second] = segments;
  return (first === 'v1' ? second : first) ?? 'default';
}

/**
 * What decorators would repeat on every controller: `/v1/*` and `/admin/*` need the bearer
 * key, every operation can answer with a problem, the rate-limited ones with 429; and an
 * operation its controller left untagged is grouped by its path.
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, Problem: PROBLEM_SCHEMA } };
  const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      if (!operation.tags?.length) operation.tags = [tagOf(path)];
      const authenticated = path.startsWith('/v1/') || path.startsWith('/admin/');
      if (authenticated && !operation.security) operation.security = [{ bearer: [] }];
      if (authenticated && !operation.responses['429']) {
        const perKey = path.startsWith('/v1/') ? '`rate_limited`: too many requests for this key; ' : '';
        operation.responses['429'] = {
          description: `${perKey}\`too_many_failed_auth\`: too many wrong keys from this address; wait \`Retry-After\` seconds.`,
          content: problem,
        };
      }
      const takesJson = operation.requestBody !== undefined && 'content' in operation.requestBody && 'application/json' in operation.requestBody.content;
      if (takesJson && !operation.responses['413']) {
        operation.responses['413'] = {
          description: "`payload_too_large`: the body is over the route's limit (`limit_bytes`), refused from `Content-Length` or as soon as it passes.",
          content: problem,
        };
      }
      const takesFiles = operation.requestBody !== undefined && 'content' in operation.requestBody && 'multipart/form-data' in operation.requestBody.content;
      if (takesFiles) {
        operation.responses['413'] ??= {
          description: '`upload_too_large`: a file or the request over its cap, refused from `Content-Length` or as soon as it passes.',
          content: problem,
        };
        operation.responses['503'] ??= {
          description: '`uploads_busy`: this process is reading as many uploads as it takes at once; retry after `Retry-After` seconds.',
          content: problem,
        };
      }
      operation.responses['default'] ??= { description: 'A problem (RFC 7807) with a stable `code`.', content: problem };
    }
  }
  return document;
}

/** Serves the OpenAPI document built from the controllers and DTOs: `/docs` (Swagger UI), `/docs/json`, `/docs/yaml`. */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('darkroom')
    .setDescription(
      'Asynchronous AI image generation. `/v1/*` takes an API key and `/admin/*` the admin key, both as ' +
        '`Authorization: Bearer <key>`. Each API key is rate limited (RateLimit-* headers, 429 with Retry-After). ' +
        'Errors are RFC 7807 problems with a stable `code`; every response carries `X-Request-Id`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (`drk_…`) or, on /admin, the admin key.' }, 'bearer')
    .build();
  const document = completeDocument(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup(OPENAPI_PATHS.ui, app, document, {
    jsonDocumentUrl: OPENAPI_PATHS.json,
    yamlDocumentUrl: OPENAPI_PATHS.yaml,
    customSiteTitle: 'darkroom API',
  });
}
