import { Global, Module } from '@nestjs/common';
import { GenerationCommands } from '@darkroom/contracts';
import { GenerationCommandsService } from './generation-commands.service';

/**
 * The `GenerationCommands` port for the processes that mount the task routes (the gateway,
 * the embedded app). Global, so the gateway's services ask for the port without knowing
 * which lib provides it.
 */
@Global()
@Module({
  providers: [{ provide: GenerationCommands, useClass: GenerationCommandsService }],
  exports: [GenerationCommands],
})
export class GenerationCommandsModule {}
