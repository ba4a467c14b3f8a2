(module
  (type (;0;) (func (param i32) (result i32)))
  (type (;1;) (func (param i32 i32 i32) (result i32)))
  (type (;2;) (func (param i32 i32 i32 i32) (result i32)))
  (type (;3;) (func (result i32)))
  (type (;4;) (func (param i32 i32) (result i32)))
  (import "env" "mem" (memory (;0;) 1 65536 shared))
  (import "env" "rd" (func (;0;) (type 1)))
  (import "env" "wr" (func (;1;) (type 2)))
  (import "env" "cc" (func (;2;) (type 0)))
  (import "env" "cf" (func (;3;) (type 3)))
  (import "env" "in" (func (;4;) (type 0)))
  (import "env" "sc" (func (;5;) (type 0)))
  (func (;6;) (type 4) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    i32.const 65536
    i32.load
    local.set 10
    i32.const 65544
    i32.load
    local.set 11
    i32.const 65552
    i32.load
    local.set 12
    i32.const 65560
    i32.load
    local.set 13
    i32.const 65568
    i32.load
    local.set 14
    i32.const 65576
    i32.load
    local.set 15
    i32.const 65584
    i32.load
    local.set 16
    i32.const 65592
    i32.load
    local.set 17
    block  ;; label = @1
      block  ;; label = @2
        block  ;; label = @3
          loop  ;; label = @4
            i32.const 8192
            local.set 3
            block  ;; label = @5
              block  ;; label = @6
                local.get 3
                i32.const 4095
                i32.and
                i32.const 4092
                i32.gt_u
                br_if 0 (;@6;)
                local.get 3
                i32.const 12
                i32.shr_u
                i32.const 2
                i32.shl
                i32.const 1048576
                i32.add
                i32.load
                local.tee 9
                i32.const 33
                i32.and
                i32.const 1
                i32.ne
                br_if 0 (;@6;)
                local.get 3
                local.get 9
                i32.const -4096
                i32.and
                i32.add
                local.set 8
                local.get 8
                i32.load
                local.set 5
                br 1 (;@5;)
              end
              i32.const 7077892
              local.get 2
              i32.const 1
              i32.add
              i32.store
              i32.const 3
              local.get 3
              i32.const 32
              call 0
              local.set 5
              i32.const 7077888
              i32.load
              if  ;; label = @6
                local.get 2
                i32.const 1
                i32.add
                local.set 2
                i32.const 65664
                i32.const 4097
                i32.store
                br 4 (;@2;)
              end
            end
            local.get 5
            local.set 10
            i32.const 8196
            local.set 3
            local.get 10
            local.set 5
            block  ;; label = @5
              block  ;; label = @6
                local.get 3
                i32.const 4095
                i32.and
                i32.const 4092
                i32.gt_u
                br_if 0 (;@6;)
                local.get 3
                i32.const 12
                i32.shr_u
                i32.const 2
                i32.shl
                i32.const 1048576
                i32.add
                i32.load
                local.tee 9
                i32.const 169
                i32.and
                i32.const 1
                i32.ne
                br_if 0 (;@6;)
                local.get 3
                local.get 9
                i32.const -4096
                i32.and
                i32.add
                local.set 8
                local.get 8
                local.get 5
                i32.store
                i32.const 0
                local.set 7
                br 1 (;@5;)
              end
              i32.const 7077892
              local.get 2
              i32.const 2
              i32.add
              i32.store
              i32.const 3
              local.get 3
              local.get 5
              i32.const 32
              call 1
              local.tee 7
              i32.const 1
              i32.eq
              if  ;; label = @6
                local.get 2
                i32.const 2
                i32.add
                local.set 2
                i32.const 65664
                i32.const 4102
                i32.store
                br 4 (;@2;)
              end
            end
            local.get 7
            if  ;; label = @5
              local.get 2
              i32.const 3
              i32.add
              local.set 2
              i32.const 65664
              i32.const 4107
              i32.store
              br 3 (;@2;)
            end
            i32.const 8200
            local.set 3
            block  ;; label = @5
              block  ;; label = @6
                local.get 3
                i32.const 12
                i32.shr_u
                i32.const 2
                i32.shl
                i32.const 1048576
                i32.add
                i32.load
                local.tee 9
                i32.const 33
                i32.and
                i32.const 1
                i32.ne
                br_if 0 (;@6;)
                local.get 3
                local.get 9
                i32.const -4096
                i32.and
                i32.add
                local.set 8
                local.get 8
                i32.load8_u
                local.set 5
                br 1 (;@5;)
              end
              i32.const 7077892
              local.get 2
              i32.const 3
              i32.add
              i32.store
              i32.const 3
              local.get 3
              i32.const 8
              call 0
              local.set 5
              i32.const 7077888
              i32.load
              if  ;; label = @6
                local.get 2
                i32.const 3
                i32.add
                local.set 2
                i32.const 65664
                i32.const 4107
                i32.store
                br 4 (;@2;)
              end
            end
            local.get 10
            i32.const -256
            i32.and
            local.get 5
            i32.or
            local.set 10
            i32.const 8201
            local.set 3
            local.get 10
            i32.const 255
            i32.and
            local.set 5
            block  ;; label = @5
              block  ;; label = @6
                local.get 3
                i32.const 12
                i32.shr_u
                i32.const 2
                i32.shl
                i32.const 1048576
                i32.add
                i32.load
                local.tee 9
                i32.const 169
                i32.and
                i32.const 1
                i32.ne
                br_if 0 (;@6;)
                local.get 3
                local.get 9
                i32.const -4096
                i32.and
                i32.add
                local.set 8
                local.get 8
                local.get 5
                i32.store8
                i32.const 0
                local.set 7
                br 1 (;@5;)
              end
              i32.const 7077892
              local.get 2
              i32.const 4
              i32.add
              i32.store
              i32.const 3
              local.get 3
              local.get 5
              i32.const 8
              call 1
              local.tee 7
              i32.const 1
              i32.eq
              if  ;; label = @6
                local.get 2
                i32.const 4
                i32.add
                local.set 2
                i32.const 65664
                i32.const 4112
                i32.store
                br 4 (;@2;)
              end
            end
            local.get 7
            if  ;; label = @5
              local.get 2
              i32.const 5
              i32.add
              local.set 2
              i32.const 65664
              i32.const 4117
              i32.store
              br 3 (;@2;)
            end
            i32.const 16
            local.set 3
            block  ;; label = @5
              block  ;; label = @6
                local.get 3
                i32.const 65936
                i32.load
                i32.lt_u
                br_if 0 (;@6;)
                local.get 3
                i32.const 65940
                i32.load
                i32.gt_u
                br_if 0 (;@6;)
                i32.const 65940
                i32.load
                local.get 3
                i32.sub
                i32.const 3
                i32.lt_u
                br_if 0 (;@6;)
                i32.const 65944
                i32.load
                i32.const 1
                i32.and
                i32.const 1
                i32.ne
                br_if 0 (;@6;)
                i32.const 65924
                i32.load
                local.get 3
                i32.add
                local.set 8
                local.get 8
                i32.const 4095
                i32.and
                i32.const 4092
                i32.gt_u
                br_if 0 (;@6;)
                local.get 8
                i32.const 12
                i32.shr_u
                i32.const 2
                i32.shl
                i32.const 1048576
                i32.add
                i32.load
                local.tee 9
                i32.const 33
                i32.and
                i32.const 1
                i32.ne
                br_if 0 (;@6;)
                local.get 8
                local.get 9
                i32.const -4096
                i32.and
                i32.add
                local.set 8
                local.get 8
                i32.load
                local.set 5
                br 1 (;@5;)
              end
              i32.const 7077892
              local.get 2
              i32.const 5
              i32.add
              i32.store
              i32.const 4
              local.get 3
              i32.const 32
              call 0
              local.set 5
              i32.const 7077888
              i32.load
              if  ;; label = @6
                local.get 2
                i32.const 5
                i32.add
                local.set 2
                i32.const 65664
                i32.const 4117
                i32.store
                br 4 (;@2;)
              end
            end
            local.get 5
            local.set 10
            i32.const 7077892
            local.get 2
            i32.const 6
            i32.add
            i32.store
            i32.const 65536
            local.get 10
            i32.store
            i32.const 4123
            call 4
            drop
            local.get 2
            i32.const 6
            i32.add
            local.set 2
            br 3 (;@1;)
          end
        end
      end
      i32.const 65536
      local.get 10
      i32.store
    end
    local.get 2)
  (export "f" (func 6)))
