export * from './fake-server';
export * from './openai/fake-openai';
export * from './gemini/fake-gemini';
export * from './replicate/fake-replicate';
export * from './fal/fake-fal';
export * from './bfl/fake-bfl';
