import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import { Public } from '@delivery/auth';
import { errorMessageOf } from '@delivery/messaging';
import { SERVICE_NAME } from '@delivery/service-kit';
import { ServiceDirectory } from '../service-directory/service-directory';
import { mergeOpenApi, type OpenApiDocument, type ServiceDocument } from './openapi-merge';

const FETCH_TIMEOUT_MS = 3_000;

@ApiTags('docs')
@Public()
@Controller('docs')
export class CombinedOpenApiController {
  constructor(
    private readonly directory: ServiceDirectory,
    @Inject(SERVICE_NAME) private readonly self: string,
  ) {}

  @Get('combined.json')
  @ApiOperation({ summary: 'One OpenAPI document for the whole platform, as reached through this gateway' })
  @ApiOkResponse({ description: 'OpenAPI 3 document' })
  async combined(@Req() req: IncomingMessage): Promise<OpenApiDocument> {
    // Our own document is the one the service kit serves; ask the very server that took this request.
    const own = await fetchDocument(`${localUrl(req)}/docs/openapi.json`);
    const others = (await this.directory.list()).filter((s) => s.name !== this.self);
    const documents = await Promise.all(
      others.map(async ({ name, url }): Promise<ServiceDocument> => {
        try {
          return { name, url, document: await fetchDocument(`${url}/docs/openapi.json`) };
        } catch (error) {
          // One service down must not take the whole document with it: it is listed as not included.
          return { name, url, error: errorMessageOf(error) };
        }
      }),
    );
    return mergeOpenApi(own, documents, {
      title: 'Delivery platform API',
      version: own.info.version,
      description: 'Every service REST API through the ops gateway: /api/<service>/… plus the ops endpoints (lineage, dead letters).',
    });
  }
}

function localUrl(req: IncomingMessage): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  return `http://${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort}`;
}

async function fetchDocument(url: string): Promise<OpenApiDocument> {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const document = (await response.json()) as OpenApiDocument;
  if (typeof document?.openapi !== 'string' || typeof document.paths !== 'object') throw new Error(`${url} is not an OpenAPI document`);
  return document;
}
