// Single-thread GFLOP/s of cnzoo's C kernels per ISA on ConvNeXt-tiny's shapes (batch 1): GEMM with and without the
// GELU epilogue, depthwise 7×7 (and ConvMixer's 9×9 on 32×32×768), LayerNorm. Times are the best of 7 calls in
// thread CPU time (CLOCK_THREAD_CPUTIME_ID), so other jobs on the machine distort them less than wall time.
//
//   clang -O2 -ISources/CNZooKernelsC/include Sources/CNZooKernelsC/*.c scripts/bench/kernels.c -o /tmp/kernels -lm
//   /tmp/kernels 2   # 2 = AVX-512, 1 = AVX2+FMA, 0 = portable
#include "cnzoo_kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static float *rnd(size_t n){float*p=aligned_alloc(64,((n*4+63)/64)*64);for(size_t i=0;i<n;i++)p[i]=(float)(rand()%1000)/1000.f-0.5f;return p;}
int main(int argc,char**argv){
  int isa = argc>1? atoi(argv[1]) : 2;
  const cnz_kernels *K = cnz_kernels_for(isa);
  printf("isa %s\n", cnz_isa_name(K->isa));
  int shapes[][3]={{3136,96,384},{3136,384,96},{784,192,768},{784,768,192},{196,384,1536},{196,1536,384},{49,768,3072},{49,3072,768}};
  for(int s=0;s<8;s++){int m=shapes[s][0],k=shapes[s][1],n=shapes[s][2];
    float*a=rnd((size_t)m*k),*w=rnd((size_t)n*k),*c=rnd((size_t)m*n),*bias=rnd(n);
    float*p=aligned_alloc(64,cnz_packed_count(n,k)*4); cnz_pack_weight(w,CNZ_SRC_F32,n,k,p);
    cnz_epilogue e={bias,CNZ_ACT_GELU_ERF,0,0,0};
    int panels=(n+31)/32; double best=1e9;
    for(int r=0;r<7;r++){double t0=now(); cnz_gemm(K,a,p,c,m,n,k,0,panels,&e); double t=now()-t0; if(t<best)best=t;}
    double best0=1e9;
    for(int r=0;r<7;r++){double t0=now(); cnz_gemm(K,a,p,c,m,n,k,0,panels,0); double t=now()-t0; if(t<best0)best0=t;}
    printf("gemm %5dx%4dx%4d  %6.1f GF/s (gelu epi)  %6.1f GF/s (none)\n",m,k,n,2.0*m*n*k/best/1e9,2.0*m*n*k/best0/1e9);
  }
  int dws[][3]={{56,56,96},{28,28,192},{14,14,384},{7,7,768},{32,32,768}};
  for(int s=0;s<5;s++){int h=dws[s][0],w=dws[s][1],c=dws[s][2]; int kk = s==4?9:7;
    float*x=rnd((size_t)h*w*c),*o=rnd((size_t)h*w*c),*wt=rnd((size_t)kk*kk*c),*b=rnd(c);
    cnz_epilogue e={b,0,0,0,0}; double best=1e9;
    for(int r=0;r<7;r++){double t0=now(); cnz_dwconv(K,x,o,h,w,c,kk,wt,0,h,&e); double t=now()-t0; if(t<best)best=t;}
    float*lw=rnd(c),*lb=rnd(c); double bl=1e9;
    for(int r=0;r<7;r++){double t0=now(); cnz_layernorm(K,o,o,h*w,c,lw,lb,1e-6f); double t=now()-t0; if(t<bl)bl=t;}
    printf("dw%d %dx%dx%d %6.1f GF/s %7.1f us; LN %7.1f us\n",kk,h,w,c,2.0*h*w*c*kk*kk/best/1e9,best*1e6,bl*1e6);
  }
  return 0;
}
