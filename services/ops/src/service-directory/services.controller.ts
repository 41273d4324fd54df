import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '@delivery/auth';
import { PLATFORM_OPERATOR } from '../ops.scopes';
import { ServiceDirectory } from './service-directory';

export class ServiceEntryDto {
  @ApiProperty()
  name!: string;

  @ApiProperty({ description: 'base URL the gateway routes /api/{name}/… to' })
  url!: string;

  @ApiProperty({ enum: ['static', 'registry'] })
  source!: 'static' | 'registry';

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  startedAt!: string | null;
}

export class ServiceListDto {
  @ApiProperty({ type: [ServiceEntryDto] })
  services!: ServiceEntryDto[];
}

// Internal addresses: operators only.
@ApiTags('services')
@ApiBearerAuth()
@RequireScopes(PLATFORM_OPERATOR)
@Controller('services')
export class ServicesController {
  constructor(private readonly directory: ServiceDirectory) {}

  @Get()
  @ApiOperation({ summary: 'The running services the gateway routes to' })
  @ApiOkResponse({ type: ServiceListDto })
  async list(): Promise<ServiceListDto> {
    return { services: await this.directory.list() };
  }
}
